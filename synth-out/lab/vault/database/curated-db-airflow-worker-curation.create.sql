CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 10 IN ROLE "airflow_worker_curation";
ALTER ROLE "{{name}}" SET role TO "airflow_worker_curation";
GRANT "{{name}}" TO "vault_admin";
ALTER ROLE "{{name}}" SET search_path TO "curated_core";
