REASSIGN OWNED BY "{{name}}" TO "curated_backup";
DROP OWNED BY "{{name}}";
DROP ROLE IF EXISTS "{{name}}";
