export * from './clamav-scanner';
export * from './clamd-config';
export * from './signature-update';
export * from './malware-scan-service';
