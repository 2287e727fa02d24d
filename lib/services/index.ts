export * from './postgres';
export * from './redis';
export * from './minio';
export * from './ingestion';
