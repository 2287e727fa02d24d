import { describe, expect, it } from 'vitest';
import { hits } from './compose-audit';

describe('CMP-04 host network', () => {
  it('flags network_mode: host', async () => {
    const text = `services:
  a:
    image: a:1
    network_mode: host
`;
    expect(await hits(text, 'CMP-04')).toEqual(['CMP-04[a]@4']);
  });
  it('passes none and service: modes', async () => {
    const text = `services:
  a:
    image: a:1
    network_mode: none
  b:
    image: b:1
    network_mode: "service:a"
`;
    expect(await hits(text, 'CMP-04')).toEqual([]);
  });
});

describe('CMP-05 host PID and IPC', () => {
  it('flags pid: host and ipc: host', async () => {
    const text = `services:
  a:
    image: a:1
    pid: host
    ipc: host
`;
    expect(await hits(text, 'CMP-05')).toEqual(['CMP-05[a]@4', 'CMP-05[a]@5']);
  });
  it('passes private and service-shared namespaces', async () => {
    const text = `services:
  a:
    image: a:1
    ipc: shareable
  b:
    image: b:1
    pid: "service:a"
    ipc: "service:a"
`;
    expect(await hits(text, 'CMP-05')).toEqual([]);
  });
});

describe('CMP-06 host user, UTS and cgroup namespaces', () => {
  it('flags userns_mode, uts and cgroup: host', async () => {
    const text = `services:
  a:
    image: a:1
    userns_mode: host
    uts: host
    cgroup: host
`;
    expect(await hits(text, 'CMP-06')).toEqual(['CMP-06[a]@4', 'CMP-06[a]@5', 'CMP-06[a]@6']);
  });
  it('passes cgroup: private', async () => {
    const text = `services:
  a:
    image: a:1
    cgroup: private
`;
    expect(await hits(text, 'CMP-06')).toEqual([]);
  });
});

describe('CMP-26 host devices', () => {
  it('flags device nodes in short and long syntax and wildcard device cgroup rules', async () => {
    const text = `services:
  a:
    image: a:1
    devices:
      - /dev/sda:/dev/sda:rwm
      - source: /dev/nvidia0
        target: /dev/nvidia0
    device_cgroup_rules:
      - "c *:* rwm"
      - "c 1:3 mr"
`;
    expect(await hits(text, 'CMP-26')).toEqual(['CMP-26[a]@5', 'CMP-26[a]@6', 'CMP-26[a]@9']);
  });
  it('passes a GPU reservation and a CDI GPU request', async () => {
    const text = `services:
  trainer:
    image: trainer:1
    devices:
      - nvidia.com/gpu=all
    deploy:
      resources:
        reservations:
          devices:
            - driver: nvidia
              capabilities: [gpu]
`;
    expect(await hits(text, 'CMP-26')).toEqual([]);
  });
});

describe('CMP-29 sysctls and cgroup_parent', () => {
  it('flags non-namespaced and forwarding sysctls in map and list syntax, and cgroup_parent', async () => {
    const text = `services:
  a:
    image: a:1
    sysctls:
      kernel.randomize_va_space: 0
      net.ipv4.ip_forward: 1
      vm.swappiness: 10
      kernel.shmmax: 68719476736
      net.core.somaxconn: 1024
  b:
    image: b:1
    sysctls:
      - net.ipv4.conf.all.forwarding=1
      - net.ipv4.tcp_syncookies=1
    cgroup_parent: /system.slice
`;
    expect(await hits(text, 'CMP-29')).toEqual([
      'CMP-29[a/kernel.randomize_va_space]@5',
      'CMP-29[a/net.ipv4.ip_forward]@6',
      'CMP-29[a/vm.swappiness]@7',
      'CMP-29[b/net.ipv4.conf.all.forwarding]@13',
      'CMP-29[b/cgroup_parent]@15',
    ]);
  });
  it('passes IPC and per-namespace network sysctls', async () => {
    const text = `services:
  a:
    image: a:1
    sysctls:
      kernel.shm_rmid_forced: 1
      fs.mqueue.msg_max: 100
      net.ipv4.ip_local_port_range: "32768 60999"
`;
    expect(await hits(text, 'CMP-29')).toEqual([]);
  });
});
