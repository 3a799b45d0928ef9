/** What the sandbox has seen, for tests to assert on. Arrays are bounded. */
export const MAX_RESPONSES = 200;

export interface WebhookResponse {
  topic: string;
  /** HTTP status, or 0 when there was no response (timeout, refused connection). */
  status: number;
  attempt: number;
}

export class Counters {
  tokenCalls = { authorization_code: 0, refresh_token: 0 };
  graphqlCalls = 0;
  pointsSpent: Record<string, number> = {};
  webhooks = { sent: 0, delivered: 0, failed: 0, responses: [] as WebhookResponse[] };

  reset(): void {
    this.tokenCalls = { authorization_code: 0, refresh_token: 0 };
    this.graphqlCalls = 0;
    this.pointsSpent = {};
    this.webhooks = { sent: 0, delivered: 0, failed: 0, responses: [] };
  }

  recordResponse(response: WebhookResponse): void {
    this.webhooks.responses.push(response);
    if (this.webhooks.responses.length > MAX_RESPONSES) this.webhooks.responses.shift();
  }

  toJSON() {
    return {
      tokenCalls: this.tokenCalls,
      graphqlCalls: this.graphqlCalls,
      pointsSpent: this.pointsSpent,
      webhooks: this.webhooks,
    };
  }
}
