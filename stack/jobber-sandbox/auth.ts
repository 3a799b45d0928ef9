import { CompactSign, compactVerify } from "jose";
import { encodeId } from "./ids.ts";
import { APP_UUID } from "./options.ts";

/** Authorization codes live five minutes and work once. */
export const CODE_TTL_MS = 5 * 60 * 1000;

interface CodeGrant {
  accountId: number;
  clientId: string;
  redirectUri: string;
  expiresAt: number;
}

interface Connection {
  connected: boolean;
  /** Bumped on every disconnect so tokens issued before it are recognisably revoked. */
  generation: number;
  /** Access tokens with a sequence number up to this count as expired (sandbox switch). */
  expiredThroughSeq: number;
}

interface AccessRecord {
  accountId: number;
  generation: number;
  /** Issue order; a counter rather than a clock so "expire what exists now" is exact. */
  seq: number;
  expiresAt: number;
}

export type TokenCheck =
  | { ok: true; accountId: number }
  | { ok: false; reason: "invalid" | "expired" | "disconnected" };

function randomToken(bytes = 32): string {
  const buf = crypto.getRandomValues(new Uint8Array(bytes));
  return btoa(String.fromCharCode(...buf)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** OAuth state of the one sandbox app across all accounts: codes, refresh and access tokens. */
export class AuthState {
  private codes = new Map<string, CodeGrant>();
  private refreshTokens = new Map<string, { accountId: number; generation: number }>();
  private accessTokens = new Map<string, AccessRecord>();
  private connections = new Map<number, Connection>();
  private seq = 0;
  /** Global "expire every existing token" mark (faults.expireTokens). */
  private globalExpiredThroughSeq = 0;
  // Sandbox-internal signing key; tokens never need to verify outside this process.
  private key = crypto.getRandomValues(new Uint8Array(32));

  constructor(private now: () => number, private lifetimeSeconds: () => number) {}

  reset(): void {
    this.codes.clear();
    this.refreshTokens.clear();
    this.accessTokens.clear();
    this.connections.clear();
    this.globalExpiredThroughSeq = 0;
  }

  expireAllExisting(): void {
    this.globalExpiredThroughSeq = this.seq;
  }

  isConnected(accountId: number): boolean {
    return this.connections.get(accountId)?.connected ?? false;
  }

  issueCode(accountId: number, clientId: string, redirectUri: string): string {
    const code = randomToken(24);
    this.codes.set(code, { accountId, clientId, redirectUri, expiresAt: this.now() + CODE_TTL_MS });
    return code;
  }

  /** Single use: the code is gone whether or not the rest of the request checks out. */
  redeemCode(code: string, clientId: string, redirectUri: string): number | null {
    const grant = this.codes.get(code);
    this.codes.delete(code);
    if (!grant || grant.expiresAt <= this.now()) return null;
    if (grant.clientId !== clientId || grant.redirectUri !== redirectUri) return null;
    const existing = this.connections.get(grant.accountId);
    if (existing) existing.connected = true;
    else this.connections.set(grant.accountId, { connected: true, generation: 1, expiredThroughSeq: 0 });
    return grant.accountId;
  }

  /** Rotation: the presented refresh token dies the moment it is redeemed. */
  redeemRefreshToken(token: string): number | null {
    const entry = this.refreshTokens.get(token);
    this.refreshTokens.delete(token);
    if (!entry) return null;
    const connection = this.connections.get(entry.accountId);
    if (!connection?.connected || connection.generation !== entry.generation) return null;
    return entry.accountId;
  }

  async issueTokens(
    accountId: number,
    userId: number,
  ): Promise<{ access_token: string; refresh_token: string }> {
    const connection = this.connections.get(accountId)!;
    const issuedAt = this.now();
    const iat = Math.floor(issuedAt / 1000);
    const exp = iat + this.lifetimeSeconds();
    const jti = crypto.randomUUID();
    const payload = {
      sub: String(userId),
      account_id: encodeId("Account", accountId),
      app_id: APP_UUID,
      iat,
      exp,
      jti,
    };
    const access_token = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .sign(this.key);
    this.accessTokens.set(jti, {
      accountId,
      generation: connection.generation,
      seq: ++this.seq,
      expiresAt: exp * 1000,
    });
    const refresh_token = randomToken();
    this.refreshTokens.set(refresh_token, { accountId, generation: connection.generation });
    return { access_token, refresh_token };
  }

  async checkAccessToken(token: string): Promise<TokenCheck> {
    let jti: unknown;
    try {
      const { payload } = await compactVerify(token, this.key, { algorithms: ["HS256"] });
      jti = (JSON.parse(new TextDecoder().decode(payload)) as { jti?: unknown }).jti;
    } catch {
      return { ok: false, reason: "invalid" };
    }
    const record = typeof jti === "string" ? this.accessTokens.get(jti) : undefined;
    if (!record) return { ok: false, reason: "invalid" };
    const connection = this.connections.get(record.accountId);
    if (!connection || !connection.connected || connection.generation !== record.generation) {
      return { ok: false, reason: "disconnected" };
    }
    if (
      this.now() >= record.expiresAt || record.seq <= connection.expiredThroughSeq ||
      record.seq <= this.globalExpiredThroughSeq
    ) {
      return { ok: false, reason: "expired" };
    }
    return { ok: true, accountId: record.accountId };
  }

  /** Disconnect: every access and refresh token of the account dies at once. */
  disconnect(accountId: number): boolean {
    const connection = this.connections.get(accountId);
    if (!connection?.connected) return false;
    connection.connected = false;
    connection.generation++;
    for (const [token, entry] of this.refreshTokens) {
      if (entry.accountId === accountId) this.refreshTokens.delete(token);
    }
    return true;
  }

  expireAccountTokens(accountId: number): void {
    const connection = this.connections.get(accountId);
    if (connection) connection.expiredThroughSeq = this.seq;
  }
}
