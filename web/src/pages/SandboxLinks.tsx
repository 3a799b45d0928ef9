/**
 * Local development only: where the messaging sandbox's phones and inboxes are, when `npm start`
 * runs one (it sets VITE_MESSAGING_SANDBOX_URL). Renders nothing elsewhere.
 */
export function SandboxLinks({ env = import.meta.env }: { env?: Record<string, unknown> }) {
  const url = env['VITE_MESSAGING_SANDBOX_URL'];
  if (typeof url !== 'string' || !/^https?:\/\//.test(url)) return null;
  return (
    <p className="app-sandbox-links">
      <a href={url} target="_blank" rel="noreferrer">
        Messaging sandbox (phones and inboxes)
      </a>
    </p>
  );
}
