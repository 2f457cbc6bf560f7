export function SignInPage({ reason, onSignIn }: { reason?: string | undefined; onSignIn: () => void }) {
  return (
    <main id="main" class="signin">
      <h1>Complaints console</h1>
      {reason ? (
        <p class="notice" role="status">
          {reason}
        </p>
      ) : (
        <p>Sign in to work on your queue.</p>
      )}
      <button type="button" class="primary" onClick={onSignIn}>
        Sign in
      </button>
    </main>
  );
}
