-- RingCentral OAuth Functions: each flow claimed once, each save one transaction, owed revocations kept durably.
--
-- Applied on top of the ERP's own schema (public.user_ringcentral_tokens, public.integration_connections,
-- auth.users), in file-name order, with the Supabase CLI (`supabase db push`) or the SQL editor. Re-applying it is
-- harmless: every statement is idempotent. The service calls the functions below through PostgREST's RPC endpoint
-- (POST /rest/v1/rpc/<function>) with the service-role key; nobody else may call them or read these tables.
--
-- Names used by the service: ringcentral_oauth_schema, _claim, _refuse, _fail, _save, _disconnect,
-- _revocations_due, _revocations_done. Every function returns one jsonb value.

-- What happened to each flow (one GetAuthUrl), keyed by the flow marker: base64url(SHA-256) of the flow id, never
-- the id itself (the same value the connection row's config.flow holds).
create table if not exists public.ringcentral_oauth_flows (
  flow_marker text primary key check (length(flow_marker) between 16 and 128),
  user_id uuid not null references auth.users (id) on delete cascade,
  claim_id uuid not null,
  outcome text not null check (outcome in ('claimed', 'connected', 'failed', 'refused')),
  claimed_at timestamptz not null default now(),
  finished_at timestamptz,
  -- the answer of the save that finished the flow: no token, only its SHA-256 (to recognise the same save asked
  -- again) and the ids of the revocations it owes
  result jsonb
);
create index if not exists ringcentral_oauth_flows_user_claimed_at on public.ringcentral_oauth_flows (user_id, claimed_at);
create index if not exists ringcentral_oauth_flows_claimed_at on public.ringcentral_oauth_flows (claimed_at);

-- One row per user this service connected or disconnected: the row every save and disconnect of that user locks
-- (so they run one at a time), and when the user's connection last changed through this service.
create table if not exists public.ringcentral_oauth_users (
  user_id uuid primary key references auth.users (id) on delete cascade,
  changed_at timestamptz not null default '-infinity'
);

-- Refresh tokens the service owes RingCentral a revocation for (displaced by a connect, held by a disconnected row,
-- or issued to a flow that lost), written in the same transaction that let go of them, deleted once revoked.
-- No foreign key: a deleted user's tokens must still be revoked.
create table if not exists public.ringcentral_oauth_revocations (
  id bigint generated always as identity primary key,
  user_id uuid,
  refresh_token text not null,
  reason text not null,
  created_at timestamptz not null default now(),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now()
);
create index if not exists ringcentral_oauth_revocations_next_attempt_at on public.ringcentral_oauth_revocations (next_attempt_at);

alter table public.ringcentral_oauth_flows enable row level security;
alter table public.ringcentral_oauth_users enable row level security;
alter table public.ringcentral_oauth_revocations enable row level security;
-- No policy: nobody but the owner (and roles that bypass RLS) sees a row. Supabase's default privileges grant every
-- new table to anon and authenticated: taken back.
revoke all on table public.ringcentral_oauth_flows, public.ringcentral_oauth_users, public.ringcentral_oauth_revocations
  from public, anon, authenticated;
grant select, insert, update, delete on table public.ringcentral_oauth_flows, public.ringcentral_oauth_users,
  public.ringcentral_oauth_revocations to service_role;

-- Which migration the database holds (Health names a missing one by its file).
create or replace function public.ringcentral_oauth_schema()
returns jsonb language sql stable security definer set search_path = '' as $$
  select jsonb_build_object('migration', '20261205210000_ringcentral_oauth_flows')
$$;

-- Locks the user's row in ringcentral_oauth_users (creating it) and returns when the user's connection last changed
-- through this service. Every claim, save and disconnect of a user takes this lock first.
create or replace function public.ringcentral_oauth_lock_user(p_user_id uuid)
returns timestamptz language plpgsql volatile security definer set search_path = '' as $$
declare
  v_changed_at timestamptz;
begin
  insert into public.ringcentral_oauth_users (user_id) values (p_user_id) on conflict (user_id) do nothing;
  select u.changed_at into v_changed_at from public.ringcentral_oauth_users u where u.user_id = p_user_id for update;
  return v_changed_at;
end
$$;

-- Records a refresh token as owed a revocation; returns {id, token} for the caller to revoke at once. The row becomes
-- due for the background retry only after p_grace_seconds (the caller tries first).
create or replace function public.ringcentral_oauth_owe(p_user_id uuid, p_refresh_token text, p_reason text)
returns jsonb language plpgsql volatile security definer set search_path = '' as $$
declare
  v_id bigint;
begin
  insert into public.ringcentral_oauth_revocations (user_id, refresh_token, reason)
    values (p_user_id, p_refresh_token, p_reason) returning id into v_id;
  return jsonb_build_object('id', v_id, 'token', p_refresh_token);
end
$$;

-- Claims a flow for the ticket's user before its code is sent. Answers {result}:
--   claimed       this caller may send the code (also when the same caller, same p_claim_id, asks again);
--   connected     the flow was completed before and is still the stored connection ({label} is its account label);
--   used          the flow was claimed before (running, failed, refused, or replaced since): nothing may be sent;
--   rate_limited  the user claimed p_max_claims flows in the last p_window_seconds ({retry_after} in seconds).
-- A flow completed by the service before this migration (its marker in the connection row's config.flow) is
-- recognised as connected. Flow rows older than a day are deleted here.
create or replace function public.ringcentral_oauth_claim(p_flow_marker text, p_user_id uuid, p_claim_id uuid,
  p_max_claims integer, p_window_seconds integer)
returns jsonb language plpgsql volatile security definer set search_path = '' as $$
declare
  v_flow public.ringcentral_oauth_flows;
  v_label text;
  v_count integer;
  v_oldest timestamptz;
begin
  delete from public.ringcentral_oauth_flows where claimed_at < now() - interval '1 day';
  perform public.ringcentral_oauth_lock_user(p_user_id);

  select c.config ->> 'rc_email' into v_label from public.integration_connections c
   where c.user_id = p_user_id and c.integration_id = 'ringcentral' and c.status = 'connected'
     and c.config ->> 'flow' = p_flow_marker;
  v_label := case when found then coalesce(v_label, '') end;

  select * into v_flow from public.ringcentral_oauth_flows f where f.flow_marker = p_flow_marker;
  if found then
    if v_flow.user_id = p_user_id and v_flow.claim_id = p_claim_id and v_flow.outcome = 'claimed' then
      return jsonb_build_object('result', 'claimed');
    end if;
    if v_flow.user_id = p_user_id and v_flow.outcome = 'connected' and v_label is not null then
      return jsonb_build_object('result', 'connected', 'label', v_label);
    end if;
    return jsonb_build_object('result', 'used', 'outcome', v_flow.outcome);
  end if;

  if v_label is not null then
    insert into public.ringcentral_oauth_flows (flow_marker, user_id, claim_id, outcome, finished_at)
      values (p_flow_marker, p_user_id, p_claim_id, 'connected', now());
    return jsonb_build_object('result', 'connected', 'label', v_label);
  end if;

  select count(*), min(f.claimed_at) into v_count, v_oldest from public.ringcentral_oauth_flows f
   where f.user_id = p_user_id and f.outcome <> 'refused' and f.claimed_at > now() - make_interval(secs => p_window_seconds);
  if v_count >= p_max_claims then
    return jsonb_build_object('result', 'rate_limited', 'retry_after',
      greatest(1, ceil(extract(epoch from (v_oldest + make_interval(secs => p_window_seconds) - now()))))::integer);
  end if;

  -- Stamped under the user's lock, on the same clock as a save's or a disconnect's changed_at: a flow loses exactly
  -- when the user's connection changed after this point.
  insert into public.ringcentral_oauth_flows (flow_marker, user_id, claim_id, outcome, claimed_at)
    values (p_flow_marker, p_user_id, p_claim_id, 'claimed', clock_timestamp());
  return jsonb_build_object('result', 'claimed');
end
$$;

-- Another user's session posted the ticket (403): the flow is dead for everyone. A flow already claimed keeps its
-- outcome. Answers {result: refused | known}.
create or replace function public.ringcentral_oauth_refuse(p_flow_marker text, p_user_id uuid)
returns jsonb language plpgsql volatile security definer set search_path = '' as $$
begin
  insert into public.ringcentral_oauth_flows (flow_marker, user_id, claim_id, outcome, finished_at)
    values (p_flow_marker, p_user_id, gen_random_uuid(), 'refused', now())
    on conflict (flow_marker) do nothing;
  return jsonb_build_object('result', case when found then 'refused' else 'known' end);
end
$$;

-- The claimed flow failed before its save (RingCentral refused or did not answer). Answers {result: failed | unchanged}.
create or replace function public.ringcentral_oauth_fail(p_flow_marker text, p_user_id uuid, p_claim_id uuid)
returns jsonb language plpgsql volatile security definer set search_path = '' as $$
begin
  update public.ringcentral_oauth_flows set outcome = 'failed', finished_at = now()
   where flow_marker = p_flow_marker and user_id = p_user_id and claim_id = p_claim_id and outcome = 'claimed';
  return jsonb_build_object('result', case when found then 'failed' else 'unchanged' end);
end
$$;

-- The owed revocations a save answer names by id, with their tokens (those already revoked are gone).
create or replace function public.ringcentral_oauth_owed(p_ids jsonb)
returns jsonb language sql stable security definer set search_path = '' as $$
  select coalesce(jsonb_agg(jsonb_build_object('id', r.id, 'token', r.refresh_token) order by r.id), '[]'::jsonb)
    from public.ringcentral_oauth_revocations r
   where r.id in (select (jsonb_array_elements_text(coalesce(p_ids, '[]'::jsonb)))::bigint)
$$;

-- Saves a claimed flow's connection in one transaction: the token row and the connection row (column values as the
-- ERP's other functions read them), and the flow's outcome. Answers {result, revoke: [{id, token}]}:
--   connected    saved; revoke holds the refresh token it displaced (never a shared `jwt:` credential);
--   superseded   the user's connection changed through this service (another flow's save, a disconnect) after this
--                flow claimed: nothing written; revoke holds this flow's own new refresh token;
--   not_claimed  this caller holds no claim on the flow: nothing written; revoke holds its own new refresh token.
-- Each token in revoke is recorded as owed in the same transaction. A save asked again (its answer was lost) gets
-- the same answer.
create or replace function public.ringcentral_oauth_save(p_flow_marker text, p_user_id uuid, p_claim_id uuid,
  p_rc_email text, p_refresh_token text, p_access_token text, p_token_expires_at timestamptz)
returns jsonb language plpgsql volatile security definer set search_path = '' as $$
declare
  v_changed_at timestamptz;
  v_flow public.ringcentral_oauth_flows;
  v_previous text;
  v_owed jsonb;
  v_result jsonb;
begin
  if coalesce(p_refresh_token, '') = '' then
    raise exception 'a refresh token is required' using errcode = '22023';
  end if;
  v_changed_at := public.ringcentral_oauth_lock_user(p_user_id);
  select * into v_flow from public.ringcentral_oauth_flows f where f.flow_marker = p_flow_marker for update;

  if found and v_flow.user_id = p_user_id and v_flow.claim_id = p_claim_id and v_flow.outcome <> 'claimed'
     and v_flow.result is not null and v_flow.result ->> 'token' = encode(sha256(convert_to(p_refresh_token, 'UTF8')), 'hex') then
    return jsonb_build_object('result', v_flow.result ->> 'result', 'revoke', public.ringcentral_oauth_owed(v_flow.result -> 'revoke_ids'));
  end if;

  if not found or v_flow.user_id <> p_user_id or v_flow.claim_id <> p_claim_id or v_flow.outcome <> 'claimed' then
    return jsonb_build_object('result', 'not_claimed',
      'revoke', jsonb_build_array(public.ringcentral_oauth_owe(p_user_id, p_refresh_token, 'not-claimed')));
  end if;

  if v_changed_at >= v_flow.claimed_at then
    v_owed := public.ringcentral_oauth_owe(p_user_id, p_refresh_token, 'superseded');
    v_result := jsonb_build_object('result', 'superseded', 'revoke', jsonb_build_array(v_owed));
    update public.ringcentral_oauth_flows set outcome = 'failed', finished_at = now(),
      result = jsonb_build_object('result', 'superseded', 'token', encode(sha256(convert_to(p_refresh_token, 'UTF8')), 'hex'), 'revoke_ids', jsonb_build_array(v_owed -> 'id'))
     where flow_marker = p_flow_marker;
    return v_result;
  end if;

  select t.refresh_token into v_previous from public.user_ringcentral_tokens t where t.user_id = p_user_id for update;

  insert into public.user_ringcentral_tokens as t (user_id, rc_email, refresh_token, access_token, token_expires_at, code_verifier)
    values (p_user_id, coalesce(p_rc_email, ''), p_refresh_token, p_access_token, p_token_expires_at, null)
    on conflict (user_id) do update set rc_email = excluded.rc_email, refresh_token = excluded.refresh_token,
      access_token = excluded.access_token, token_expires_at = excluded.token_expires_at, code_verifier = null;

  insert into public.integration_connections as c (user_id, integration_id, status, last_checked_at, last_sync_at, error_message, config)
    values (p_user_id, 'ringcentral', 'connected', now(), now(), null,
      jsonb_build_object('rc_email', coalesce(p_rc_email, ''), 'flow', p_flow_marker))
    on conflict (user_id, integration_id) do update set status = excluded.status, last_checked_at = excluded.last_checked_at,
      last_sync_at = excluded.last_sync_at, error_message = null, config = excluded.config;

  update public.ringcentral_oauth_users set changed_at = clock_timestamp() where user_id = p_user_id;

  v_owed := case when coalesce(v_previous, '') <> '' and v_previous <> p_refresh_token and v_previous not like 'jwt:%'
    then public.ringcentral_oauth_owe(p_user_id, v_previous, 'replaced') end;
  v_result := jsonb_build_object('result', 'connected',
    'revoke', case when v_owed is null then '[]'::jsonb else jsonb_build_array(v_owed) end);
  update public.ringcentral_oauth_flows set outcome = 'connected', finished_at = now(),
    result = jsonb_build_object('result', 'connected', 'token', encode(sha256(convert_to(p_refresh_token, 'UTF8')), 'hex'),
      'revoke_ids', case when v_owed is null then '[]'::jsonb else jsonb_build_array(v_owed -> 'id') end)
   where flow_marker = p_flow_marker;
  return v_result;
end
$$;

-- Disconnects the user in one transaction: deletes the token row and the connection row, and records the deleted
-- refresh token as owed a revocation (unless it is a shared `jwt:` credential). A flow claimed before this loses
-- its save. Answers {result: disconnected, had_connection, revoke: [{id, token}]}.
create or replace function public.ringcentral_oauth_disconnect(p_user_id uuid)
returns jsonb language plpgsql volatile security definer set search_path = '' as $$
declare
  v_previous text;
  v_had boolean;
  v_owed jsonb;
begin
  perform public.ringcentral_oauth_lock_user(p_user_id);
  delete from public.user_ringcentral_tokens where user_id = p_user_id returning refresh_token into v_previous;
  v_had := found;
  delete from public.integration_connections where user_id = p_user_id and integration_id = 'ringcentral';
  update public.ringcentral_oauth_users set changed_at = clock_timestamp() where user_id = p_user_id;
  v_owed := case when coalesce(v_previous, '') <> '' and v_previous not like 'jwt:%'
    then public.ringcentral_oauth_owe(p_user_id, v_previous, 'disconnected') end;
  return jsonb_build_object('result', 'disconnected', 'had_connection', v_had,
    'revoke', case when v_owed is null then '[]'::jsonb else jsonb_build_array(v_owed) end);
end
$$;

-- Takes up to p_limit owed revocations that are due and at least p_grace_seconds old (the service that recorded one
-- tries it itself first), and pushes each one's next attempt back (exponential, at most an hour), so that two
-- instances do not take the same row at once. Rows older than 8 days are deleted: a RingCentral refresh token lives
-- 7 days at most. Answers [{id, token}].
create or replace function public.ringcentral_oauth_revocations_due(p_limit integer, p_grace_seconds integer)
returns jsonb language plpgsql volatile security definer set search_path = '' as $$
declare
  v_due jsonb;
begin
  delete from public.ringcentral_oauth_revocations where created_at < now() - interval '8 days';
  with due as (
    select r.id from public.ringcentral_oauth_revocations r
     where r.next_attempt_at <= now() and r.created_at <= now() - make_interval(secs => p_grace_seconds)
     order by r.next_attempt_at, r.id
     limit greatest(p_limit, 0)
     for update skip locked
  ), taken as (
    update public.ringcentral_oauth_revocations r
       set attempts = r.attempts + 1,
           next_attempt_at = now() + least(interval '1 hour', interval '30 seconds' * power(2, least(r.attempts, 7)))
      from due where r.id = due.id
    returning r.id, r.refresh_token
  )
  select coalesce(jsonb_agg(jsonb_build_object('id', id, 'token', refresh_token) order by id), '[]'::jsonb) into v_due from taken;
  return v_due;
end
$$;

-- Owed revocations done: deleted. Answers {done: count}.
create or replace function public.ringcentral_oauth_revocations_done(p_ids jsonb)
returns jsonb language plpgsql volatile security definer set search_path = '' as $$
declare
  v_count integer;
begin
  delete from public.ringcentral_oauth_revocations
   where id in (select (jsonb_array_elements_text(coalesce(p_ids, '[]'::jsonb)))::bigint);
  get diagnostics v_count = row_count;
  return jsonb_build_object('done', v_count);
end
$$;

-- Only the service role may call them (Supabase's default privileges grant new functions to anon and authenticated).
do $$
declare
  v_function regprocedure;
begin
  for v_function in
    select p.oid::regprocedure from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname = 'public' and p.proname like 'ringcentral\_oauth\_%'
  loop
    execute format('revoke all on function %s from public, anon, authenticated', v_function);
    execute format('grant execute on function %s to service_role', v_function);
  end loop;
end
$$;

-- PostgREST picks up the new functions without a restart.
notify pgrst, 'reload schema';
