import { Construct } from 'constructs';
import { ComposeResource, ComposeResourceProps } from './compose-resource';
import { Config } from './generated/compose-spec';

/** Props of a {@link ComposeConfig}. */
export interface ComposeConfigProps extends ComposeResourceProps<Config> {}

/** A compose config. Note: docker-compose 1.x ignores configs outside swarm, so workloads mount generated files as read-only binds instead; this L1 is for compose v2 users. */
export class ComposeConfig extends ComposeResource<Config> {
  public readonly section = 'configs' as const;

  constructor(scope: Construct, id: string, props: ComposeConfigProps = {}) {
    super(scope, id, props);
  }
}
