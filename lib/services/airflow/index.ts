export * from './airflow-config';
export * from './airflow-scripts';
export * from './airflow-component';
export * from './airflow-worker-pool';
export * from './airflow-deployment';
