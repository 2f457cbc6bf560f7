import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { createApi, type Me, ok, sessionExpired } from './api/client';
import { activeSession, completeSignIn, forgetSession, signIn, signOut } from './auth';
import { type ConsoleConfig, loadConfig } from './config';
import { AppContext } from './context';
import { onLinkClick, usePath } from './router';
import { ComplaintPage } from './views/ComplaintPage';
import { QuarantinePage } from './views/QuarantinePage';
import { QueuePage } from './views/QueuePage';
import { ReportsPage } from './views/ReportsPage';
import { SignInPage } from './views/SignInPage';

type Phase =
  | { kind: 'loading' }
  | { kind: 'signed-out'; reason?: string }
  | { kind: 'ready'; me: Me }
  | { kind: 'failed'; message: string };

function App({ config }: { config: ConsoleConfig }) {
  const [api] = useState(() => createApi(config));
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' });
  const path = usePath();

  useEffect(() => {
    const start = async () => {
      if (location.pathname === '/callback') {
        const next = await completeSignIn(config);
        history.replaceState(null, '', next);
        dispatchEvent(new PopStateEvent('popstate'));
      }
      if (location.pathname === '/signed-out') history.replaceState(null, '', '/');
      if (!(await activeSession(config))) return setPhase({ kind: 'signed-out' });
      setPhase({ kind: 'ready', me: await ok(api.GET('/me')) });
    };
    start().catch((e: Error) =>
      e.name === 'ApiProblem'
        ? setPhase({ kind: 'signed-out' })
        : setPhase({ kind: 'failed', message: e.message }),
    );
    // A 401 anywhere: back to sign-in; typed text stays in the drafts, the page is where sign-in returns.
    const expired = () => {
      void forgetSession(config);
      setPhase({
        kind: 'signed-out',
        reason: 'Your session has ended. Sign in again to carry on where you were.',
      });
    };
    sessionExpired.addEventListener('expired', expired);
    return () => sessionExpired.removeEventListener('expired', expired);
  }, []);

  if (phase.kind === 'loading') return <p class="loading">Loading…</p>;
  if (phase.kind === 'failed') return <p role="alert">The console could not start: {phase.message}</p>;
  if (phase.kind === 'signed-out') {
    return (
      <SignInPage
        reason={phase.reason}
        onSignIn={() => signIn(config, location.pathname === '/callback' ? '/' : location.pathname)}
      />
    );
  }
  const { me } = phase;
  const complaintId = /^\/complaints\/([0-9a-f]{26})$/.exec(path)?.[1];
  const queue = /^\/queues\/(tier1|tier2|tier3|manager)$/.exec(path)?.[1] as Me['role'] | undefined;
  const approver = me.role !== 'tier1';
  return (
    <AppContext.Provider value={{ config, api, me }}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <nav aria-label="Main">
          <a href="/" onClick={onLinkClick} aria-current={path === '/' ? 'page' : undefined}>
            My queue
          </a>
          <a href="/mine" onClick={onLinkClick} aria-current={path === '/mine' ? 'page' : undefined}>
            Assigned to me
          </a>
          {approver ? (
            <a
              href="/approvals"
              onClick={onLinkClick}
              aria-current={path === '/approvals' ? 'page' : undefined}
            >
              Approvals
            </a>
          ) : null}
          {(['tier1', 'tier2', 'tier3', 'manager'] as const).map((r) => (
            <a
              key={r}
              href={`/queues/${r}`}
              onClick={onLinkClick}
              aria-current={path === `/queues/${r}` ? 'page' : undefined}
            >
              {r}
            </a>
          ))}
          {me.role === 'manager' ? (
            <a
              href="/quarantine"
              onClick={onLinkClick}
              aria-current={path === '/quarantine' ? 'page' : undefined}
            >
              Quarantine
            </a>
          ) : null}
          {me.role === 'manager' ? (
            <a href="/reports" onClick={onLinkClick} aria-current={path === '/reports' ? 'page' : undefined}>
              Reports
            </a>
          ) : null}
        </nav>
        <div class="who">
          <span>
            {me.email ?? me.id} · <strong>{me.role}</strong> · limit{' '}
            {me.authorityLimit === null ? 'unlimited' : `${me.authorityLimit} ${me.currency}`}
          </span>
          <button type="button" class="link" onClick={() => signOut(config)}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {complaintId ? (
          <ComplaintPage id={complaintId} />
        ) : path === '/quarantine' && me.role === 'manager' ? (
          <QuarantinePage />
        ) : path === '/reports' ? (
          // Every role may open the address; the API's 403 tells a tier it is for managers.
          <ReportsPage />
        ) : path === '/approvals' ? (
          <QueuePage
            key="approvals"
            title="Approvals waiting for you"
            query={{ queue: me.role, status: 'awaiting_approval' }}
          />
        ) : path === '/mine' ? (
          <QueuePage key="mine" title="Assigned to me" query={{ assignee: 'me' }} />
        ) : queue ? (
          <QueuePage key={queue} title={`Queue ${queue}`} query={{ queue }} />
        ) : (
          <QueuePage key="home" title={`My queue (${me.role})`} query={{ queue: me.role }} />
        )}
      </main>
    </AppContext.Provider>
  );
}

const root = document.getElementById('app') as HTMLElement;
loadConfig()
  .then((config) => render(<App config={config} />, root))
  .catch((e: Error) =>
    render(<p role="alert">The console could not load its configuration: {e.message}</p>, root),
  );
