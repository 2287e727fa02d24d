REASSIGN OWNED BY "{{name}}" TO "airflow_worker_curation";
DROP OWNED BY "{{name}}";
DROP ROLE IF EXISTS "{{name}}";
