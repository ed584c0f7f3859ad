-- One role per service, each owning its schema; services never read each other's tables.
-- The services create their schemas and tables through their own migrations at start.
create extension if not exists pg_trgm with schema public;
do $$
declare service text;
begin
  foreach service in array array['gateway', 'customers', 'scoring', 'sales', 'tickets', 'campaigns'] loop
    if not exists (select 1 from pg_roles where rolname = service) then
      execute format('create role %I login password %L', service, service);
    end if;
    execute format('create schema if not exists %I authorization %I', service, service);
  end loop;
end $$;
