import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { BUSINESS_ID } from '../test/fakeSupabase';
import { answer } from '../test/fakeTables';
import { activityRow, chartDays, held, makeActivity, makeMessage, makeSettings, optOut, reviewsFake, skipped, type ReviewsWorld } from '../test/reviewFixtures';
import { ReviewsCard } from './ReviewsCard';
import type { Role } from './state';

type Fake = ReturnType<typeof reviewsFake>;

function renderCard(fake: Fake, { role = 'owner', pollMs = 60_000 }: { role?: Role; pollMs?: number } = {}) {
  return render(<ReviewsCard supabase={fake.client} businessId={BUSINESS_ID} role={role} pollMs={pollMs} />);
}

async function openTab(name: RegExp | string) {
  await userEvent.click(await screen.findByRole('tab', { name }));
}

function world(overrides: ReviewsWorld = {}) {
  return reviewsFake(overrides);
}

describe('useReviews, through the card', () => {
  it('reads everything for the business under RLS: settings, decisions, the queue, opt-outs, the chart and the channels', async () => {
    const fake = world({ activity: [makeActivity()], chart: chartDays([[2, 1, 1]]) });
    renderCard(fake);
    expect(await screen.findByText('Asking customers for reviews')).toBeTruthy();
    const tables = fake.from.mock.calls.map(([t]) => t);
    expect(new Set(tables)).toEqual(new Set(['businesses', 'review_settings', 'review_activity', 'contact_opt_outs', 'jobber_status']));
    expect(fake.rpc).toHaveBeenCalledWith('review_chart', { p_business_id: BUSINESS_ID, p_days: 30 });
    expect(fake.bodiesOf('review-channels')).toEqual([{ business_id: BUSINESS_ID }]);
    expect(screen.getByText('Jane Doe')).toBeTruthy();
    expect(screen.getByText('2 sent')).toBeTruthy();
  });

  it('shows a decision that lands without a reload, and says so in the live region', async () => {
    const fake = world({ activity: [skipped('recently_asked', { previous_asked_at: '2025-10-01T12:00:00.000Z' })] });
    renderCard(fake, { pollMs: 20 });
    await screen.findByText(/^Not asked: Jane was asked/);
    const fresh = makeActivity({ customer: { id: 'c-new', name: 'Luis Romero', status: 'active' }, decided_at: '2025-10-13T14:00:00.000Z' });
    fake.db.tables['review_activity']!.push(activityRow(fresh));
    expect(await screen.findByText('Luis Romero')).toBeTruthy();
    expect(screen.getByText(/^New: Luis Romero, Job #42 · Deep clean: Asking by text at/).getAttribute('role')).toBe('status');
  });

  it('updates a message status as the provider reports it (polling)', async () => {
    const activity = makeActivity({ request: { state: 'in_progress', messages: [makeMessage({ status: 'queued', sent_at: '2025-10-12T14:02:00.000Z' })] } });
    const fake = world({ activity: [activity] });
    renderCard(fake, { pollMs: 20 });
    expect(await screen.findByText(/accepted by the provider at .*, not yet sent/)).toBeTruthy();
    const row = fake.db.tables['review_activity']![0]!;
    const delivered = structuredClone(activity);
    delivered.request!.messages[0] = { ...delivered.request!.messages[0]!, status: 'delivered', delivered_at: '2025-10-12T14:03:00.000Z' };
    row['activity'] = delivered;
    expect(await screen.findByText(/, delivered$/)).toBeTruthy();
  });

  it('approves a held request with supabase.rpc and reads the queue again', async () => {
    const request = held({ customer: { id: 'c1', name: 'Kim Lee', status: 'active' } });
    const fake = world({ settings: makeSettings({ require_approval: true }), activity: [request] });
    fake.db.rpc['review_approve_request'] = ({ p_request_id }) => {
      const row = fake.db.tables['review_activity']![0]!;
      row['request_state'] = 'scheduled';
      return answer({ request_id: p_request_id, state: 'scheduled', cancel_reason: null, approved_at: '2025-10-12T15:00:00+00:00',
        messages: [{ step: 0, channel: 'sms', status: 'scheduled', scheduled_for: '2025-10-12T15:00:00.123456+00:00' }] });
    };
    renderCard(fake);
    expect(await screen.findByText('1 request is waiting for your approval')).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Approve the request to Kim Lee' }));
    expect(fake.rpc).toHaveBeenCalledWith('review_approve_request', { p_request_id: request.request!.id });
    expect(await screen.findByText(/^Approved: the text to Kim Lee goes out at/)).toBeTruthy();
    await waitFor(() => expect(screen.queryByRole('button', { name: /^Approve/ })).toBeNull());
  });

  it('skips a held request and says the customer will not be asked', async () => {
    const request = held();
    const fake = world({ activity: [request] });
    fake.db.rpc['review_skip_request'] = ({ p_request_id }) => {
      fake.db.tables['review_activity']![0]!['request_state'] = 'cancelled';
      return answer({ request_id: p_request_id, state: 'cancelled', cancel_reason: 'skipped', messages: [] });
    };
    renderCard(fake);
    await userEvent.click(await screen.findByRole('button', { name: 'Skip the request to Jane Doe' }));
    expect(await screen.findByText('Skipped: Jane Doe will not be asked for this job.')).toBeTruthy();
  });

  it('shows why an approval failed (someone else acted first)', async () => {
    const fake = world({ activity: [held()] });
    fake.db.rpc['review_approve_request'] = () => ({ data: null, error: { code: 'BJ008', message: 'This review request is not waiting for approval (it is cancelled).' } });
    renderCard(fake);
    await userEvent.click(await screen.findByRole('button', { name: /^Approve/ }));
    expect((await screen.findByRole('alert')).textContent).toBe('That request is no longer waiting for approval: someone else may have approved or skipped it.');
  });

  it('saves settings through an update of the owner-editable columns, and shows them saved', async () => {
    const fake = world();
    renderCard(fake);
    await openTab('Settings');
    const delay = await screen.findByLabelText('Wait after the job is done (minutes)');
    await userEvent.clear(delay);
    await userEvent.type(delay, '30');
    expect(screen.getByText('Asks 30 minutes after.')).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    expect(await screen.findByText('Settings saved.')).toBeTruthy();
    expect(fake.db.tables['review_settings']![0]!['delay_minutes']).toBe(30);
    expect(Object.keys(fake.db.tables['review_settings']![0]!)).not.toContain('business_name');
    expect(screen.getByText('No unsaved changes.')).toBeTruthy();
  });

  it('explains every problem before saving, focuses the summary, and saves nothing', async () => {
    const fake = world();
    renderCard(fake);
    await openTab('Settings');
    const sms = await screen.findByLabelText('Text message');
    await userEvent.clear(sms);
    await userEvent.type(sms, 'Please review us!');
    await userEvent.clear(screen.getByLabelText('Your review page'));
    await userEvent.type(screen.getByLabelText('Your review page'), 'http://example.com/r');
    await userEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    const summary = await screen.findByText('2 things to fix before saving:');
    await waitFor(() => expect(document.activeElement).toBe(summary.closest('[role="alert"]')));
    expect(screen.getByRole('link', { name: 'The review page must be a secure address that starts with https://.' })).toBeTruthy();
    expect(screen.getByLabelText('Text message').getAttribute('aria-invalid')).toBe('true');
    const described = screen.getByLabelText('Text message').getAttribute('aria-describedby')!.split(' ');
    expect(described.map((id) => document.getElementById(id)?.textContent)).toContain(
      'The text message has no {link}. Add {link} where the review link should go: it is how customers reach your review page.',
    );
    expect(fake.from.mock.calls.filter(([t]) => t === 'review_settings')).toHaveLength(1);
    expect(fake.db.tables['review_settings']![0]!['sms_template']).toBe(makeSettings().sms_template);
  });

  it('maps a constraint the database refused to its field', async () => {
    const fake = world();
    fake.db.fail.push((table, op) => (table === 'review_settings' && op === 'update'
      ? { code: '23514', message: 'new row for relation "review_settings" violates check constraint "review_settings_send_window_order"' }
      : null));
    renderCard(fake);
    await openTab('Settings');
    await userEvent.click(await screen.findByLabelText(/^Ask me before each request/));
    await userEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    expect(await screen.findByRole('link', { name: 'The sending window must start before it ends.' })).toBeTruthy();
    expect(screen.getByLabelText('Send from').getAttribute('aria-invalid')).toBe('true');
  });

  it('previews the live text and email from what is typed', async () => {
    const fake = world();
    renderCard(fake);
    await openTab('Settings');
    const sender = await screen.findByLabelText('Sender name');
    await userEvent.type(sender, 'Sparkle Co');
    expect(screen.getByTestId('sms-preview').textContent).toMatch(/^Hi Jane, thanks for choosing Sparkle Co! .*\?t=AbCdEfGhIjKlMnOpQrStUv\nReply STOP to opt out$/);
    expect(screen.getByTestId('email-subject-preview').textContent).toBe('How did Sparkle Co do?');
    const frame = screen.getByTitle('Email preview').getAttribute('srcdoc')!;
    expect(frame).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none';`);
    expect(frame).toContain('How did Sparkle Co do?');
  });

  it('previews "Ask recent customers" before anything is scheduled, then confirms', async () => {
    const fake = world();
    const summary = { candidates: 9, asked: 6, held: 0, excluded: { recently_asked: 2, no_contact: 1 }, per_hour: 20,
      first_send_at: '2025-10-12T16:00:00+00:00', last_send_at: '2025-10-12T16:15:00+00:00' };
    fake.db.rpc['review_ask_recent_preview'] = () => answer(summary);
    fake.db.rpc['review_ask_recent_confirm'] = () => answer(summary);
    renderCard(fake);
    await openTab('Ask recent');
    await userEvent.selectOptions(screen.getByLabelText('Jobs done in the last'), '14');
    await userEvent.click(screen.getByRole('button', { name: 'Preview' }));
    expect(fake.rpc).toHaveBeenCalledWith('review_ask_recent_preview', { p_business_id: BUSINESS_ID, p_within_days: 14 });
    expect(await screen.findByText('6 customers would be asked, of 9 imported jobs from the last 14 days.')).toBeTruthy();
    expect(screen.getByText('2 customers were asked recently')).toBeTruthy();
    expect(screen.getByText('1 customer has no usable phone number or email')).toBeTruthy();
    expect(screen.getByText(/^Messages go out at most 20 customers an hour, inside the sending window: the first .*, the last /)).toBeTruthy();
    expect(screen.getByText('Nothing has been sent or scheduled yet.')).toBeTruthy();
    expect(fake.rpc.mock.calls.some(([fn]) => fn === 'review_ask_recent_confirm')).toBe(false);
    await userEvent.click(screen.getByRole('button', { name: 'Ask 6 customers' }));
    expect(fake.rpc).toHaveBeenCalledWith('review_ask_recent_confirm', { p_business_id: BUSINESS_ID, p_within_days: 14 });
    expect(await screen.findByText('6 customers are being asked.')).toBeTruthy();
  });

  it('adds a manual opt-out normalised to E.164, refuses a non-number, and removes it', async () => {
    const fake = world({ optOuts: [optOut({ address: '+12125550100', source: 'sms_stop' })] });
    renderCard(fake);
    await openTab('Opt-outs');
    const input = await screen.findByLabelText('Phone number');
    await userEvent.type(input, '555-01');
    await userEvent.click(screen.getByRole('button', { name: 'Add opt-out' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/^That does not look like a phone number/);
    expect(input.getAttribute('aria-invalid')).toBe('true');
    await userEvent.clear(input);
    await userEvent.type(input, '(212) 555-0143');
    await userEvent.click(screen.getByRole('button', { name: 'Add opt-out' }));
    expect(await screen.findByText('+12125550143 will get no more review texts.')).toBeTruthy();
    expect(fake.db.tables['contact_opt_outs']!.map((r) => [r['channel'], r['address'], r['source']])).toContainEqual(['sms', '+12125550143', 'manual']);
    const list = screen.getByRole('list', { name: 'Opted-out addresses' });
    // Only manual ones can be removed; a STOP stays the customer's.
    expect(within(list).getAllByRole('button')).toHaveLength(1);
    await userEvent.click(within(list).getByRole('button', { name: 'Remove +12125550143 from the opt-outs' }));
    expect(await screen.findByText('+12125550143 was removed from the opt-out list.')).toBeTruthy();
    expect(fake.db.tables['contact_opt_outs']!.map((r) => r['address'])).toEqual(['+12125550100']);
  });

  it('says an opt-out already on the list is there', async () => {
    const fake = world();
    fake.db.fail.push((table, op) => (table === 'contact_opt_outs' && op === 'insert' ? { code: '23505', message: 'duplicate key' } : null));
    renderCard(fake);
    await openTab('Opt-outs');
    await userEvent.selectOptions(await screen.findByLabelText('Stop'), 'email');
    await userEvent.type(screen.getByLabelText('Email address'), 'Jane@Example.com');
    await userEvent.click(screen.getByRole('button', { name: 'Add opt-out' }));
    expect((await screen.findByRole('alert')).textContent).toBe('jane@example.com is already on the opt-out list.');
  });

  it('shows members everything read-only: no approve, no ask-recent, no opt-out form, a disabled settings form', async () => {
    const fake = world({ activity: [held()], optOuts: [optOut()] });
    renderCard(fake, { role: 'member' });
    expect(await screen.findByText("1 request is waiting for an owner’s or admin’s approval")).toBeTruthy();
    expect(screen.queryByRole('button', { name: /^Approve/ })).toBeNull();
    expect(screen.queryByRole('tab', { name: 'Ask recent' })).toBeNull();
    await openTab('Opt-outs');
    expect(screen.queryByRole('form', { name: 'Add an opt-out' })).toBeNull();
    expect(screen.queryByRole('button', { name: /^Remove/ })).toBeNull();
    await openTab('Settings');
    // Every field sits in a disabled fieldset (the browser disables them all; e2e checks that).
    for (const label of ['Text message', 'Your review page', 'Wait after the job is done (minutes)', 'Contact customers by']) {
      expect(screen.getByLabelText(label).closest('fieldset')?.disabled).toBe(true);
    }
    expect(screen.queryByRole('button', { name: 'Save settings' })).toBeNull();
    expect(screen.getByText('Only owners and admins can change these settings.')).toBeTruthy();
  });

  it('shows an error with Try again when the first load fails, and recovers', async () => {
    const fake = world();
    let failing = true;
    fake.db.fail.push((table) => (failing && table === 'review_settings' ? { message: 'upstream timeout' } : null));
    renderCard(fake);
    expect((await screen.findByRole('alert')).textContent).toMatch(/^✕ Could not load the review settings\./);
    failing = false;
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('Asking customers for reviews')).toBeTruthy();
  });

  it('keeps what it shows when a refresh fails, with an alert', async () => {
    const fake = world({ activity: [makeActivity()] });
    renderCard(fake, { pollMs: 20 });
    await screen.findByText('Jane Doe');
    fake.db.fail.push((table) => (table === 'review_activity' ? { message: 'connection reset' } : null));
    expect((await screen.findByRole('alert')).textContent).toMatch(/^Could not refresh the review activity: Could not load recent jobs\./);
    expect(screen.getByText('Jane Doe')).toBeTruthy();
  });

  it('says which channels are set up, and still works when that check fails', async () => {
    const fake = world({ channels: { sms: true, email: false } });
    const { unmount } = renderCard(fake);
    expect(await screen.findByText('Email: not set up')).toBeTruthy();
    expect(screen.getByText('Texts: set up')).toBeTruthy();
    unmount();
    renderCard(world({ channels: 'fail' }));
    expect(await screen.findByText(/^Could not check which channels are set up/)).toBeTruthy();
  });

  it('stops polling when the card unmounts', async () => {
    const fake = world();
    const { unmount } = renderCard(fake, { pollMs: 20 });
    await screen.findByText('Asking customers for reviews');
    unmount();
    const reads = fake.from.mock.calls.length;
    await act(() => new Promise((resolve) => setTimeout(resolve, 100)));
    expect(fake.from.mock.calls.length).toBe(reads);
  });
});
