export * from './mlflow-server';
export * from './mlflow-start-script';
export * from './model-lifecycle';
