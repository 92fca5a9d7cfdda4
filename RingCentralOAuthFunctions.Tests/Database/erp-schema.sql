-- The part of the ERP's Supabase database the service's migrations build on, as described in
-- ../shared/reference/existing-system.md: Supabase's roles and default privileges, auth.users and auth.uid(), and the
-- ERP's two tables with their triggers and RLS policies. Test fixture only (PostgresFixture); not a migration.

create role anon nologin noinherit;
create role authenticated nologin noinherit;
create role service_role nologin noinherit bypassrls;

create schema auth;
grant usage on schema auth to anon, authenticated, service_role;
create table auth.users (id uuid primary key, email text);
create function auth.uid() returns uuid language sql stable as $$
  select nullif(current_setting('request.jwt.claim.sub', true), '')::uuid
$$;

grant usage on schema public to anon, authenticated, service_role;
-- As on Supabase: whatever the migration role creates in public is granted to the API roles unless revoked.
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;

create function public.update_updated_at_column() returns trigger language plpgsql as $$
begin
  new.updated_at = now();
  return new;
end
$$;

create table public.user_ringcentral_tokens (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null unique references auth.users (id) on delete cascade,
  rc_email text not null,
  refresh_token text not null,
  access_token text,
  token_expires_at timestamptz,
  code_verifier text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table public.user_ringcentral_tokens enable row level security;
create policy "Users can view their own RingCentral tokens" on public.user_ringcentral_tokens
  for select using (auth.uid() = user_id);
create trigger update_user_ringcentral_tokens_updated_at before update on public.user_ringcentral_tokens
  for each row execute function public.update_updated_at_column();

create table public.integration_connections (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  integration_id text not null,
  status text not null default 'available',
  last_checked_at timestamptz,
  last_sync_at timestamptz,
  error_message text,
  config jsonb default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (user_id, integration_id)
);
alter table public.integration_connections enable row level security;
create policy "Users can manage their own integration connections" on public.integration_connections
  for all to authenticated using (auth.uid() = user_id);
create trigger update_integration_connections_updated_at before update on public.integration_connections
  for each row execute function public.update_updated_at_column();
