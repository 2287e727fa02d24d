export * from './minio-bootstrap-script';
export * from './minio-bucket';
export * from './minio-grant';
export * from './minio-server';
export * from './s3-policy-validator';
