export * from './model-fetch-job';
export * from './model-fetch-script';
export * from './model-release';
export * from './model-server';
export * from './served-model';
