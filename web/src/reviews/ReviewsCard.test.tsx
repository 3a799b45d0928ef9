import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { chartDays, held, LINK_BASE, makeActivity, makeSettings, NOW, optOut, skipped, UNSUBSCRIBE_URL } from '../test/reviewFixtures';
import { ReviewsCardView } from './ReviewsCard';
import type { ReviewsCardState, ReviewsData, Role } from './state';
import { deriveReviewsState } from './state';
import type { Reviews } from './useReviews';

function data(overrides: Partial<ReviewsData> = {}): ReviewsData {
  return {
    business: { id: 'b', name: 'Brightside Cleaning', country: 'US', timezone: 'America/New_York' },
    settings: makeSettings(),
    activity: [],
    held: [],
    optOuts: [],
    optOutTotal: 0,
    chart: chartDays(),
    channels: { sms: { configured: true }, email: { configured: true }, review_link_base: LINK_BASE, unsubscribe_url: UNSUBSCRIBE_URL },
    channelsError: null,
    jobberStatus: 'connected',
    jobberUpdatesFailed: 0,
    ...overrides,
  };
}

function renderView(state: ReviewsCardState, { role = 'owner', notice = null, actionError = null }: { role?: Role; notice?: string | null; actionError?: string | null } = {}) {
  const reviews: Reviews = {
    state,
    busy: null,
    notice,
    actionError,
    saveSettings: vi.fn(async () => ({ ok: true as const })),
    approve: vi.fn(async () => {}),
    skip: vi.fn(async () => {}),
    previewAskRecent: vi.fn(async () => null),
    confirmAskRecent: vi.fn(async () => null),
    addOptOut: vi.fn(async () => ({ ok: true as const })),
    removeOptOut: vi.fn(async () => {}),
    clearNotice: vi.fn(),
    retry: vi.fn(async () => {}),
  };
  render(<ReviewsCardView reviews={reviews} role={role} now={NOW} />);
  return reviews;
}

const liveRegion = () => document.querySelector('.jc-visually-hidden[role="status"]')!.textContent;

describe('ReviewsCardView: every state', () => {
  it('loading: says so, no controls', () => {
    renderView({ kind: 'loading' });
    expect(screen.getAllByText('Loading review requests…')).toHaveLength(2);
    expect(screen.queryByRole('button')).toBeNull();
    expect(screen.getByRole('region', { name: 'Review requests' }).getAttribute('aria-busy')).toBe('true');
  });

  it('error: the message as an alert and Try again', async () => {
    const reviews = renderView({ kind: 'error', message: 'Could not load the review settings. Try again in a moment.' });
    expect(screen.getByRole('alert').textContent).toBe('✕ Could not load the review settings. Try again in a moment.');
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(reviews.retry).toHaveBeenCalledOnce();
  });

  it('off: says nobody is asked and opens the settings for an owner', async () => {
    renderView(deriveReviewsState(data({ settings: makeSettings({ enabled: false }) }), null));
    expect(screen.getByText('Review requests are off')).toBeTruthy();
    expect(liveRegion()).toBe('Review requests are off.');
    await userEvent.click(screen.getByRole('button', { name: 'Open settings' }));
    expect(screen.getByRole('tab', { name: 'Settings' }).getAttribute('aria-selected')).toBe('true');
    expect(screen.getByRole('form', { name: 'Review settings' })).toBeTruthy();
  });

  it('failed Jobber updates: says their jobs are not decided and points an owner at the Jobber card\'s Replay', () => {
    renderView(deriveReviewsState(data({ jobberUpdatesFailed: 3 }), null));
    const line = screen.getByText(/^3 updates from Jobber failed/);
    expect(line.textContent).toBe('3 updates from Jobber failed, so the jobs they carry are not decided yet. Replay them in the Jobber card.');
    expect(within(line).getByRole('link', { name: 'Replay them in the Jobber card' }).getAttribute('href')).toBe('#jobber-updates');
    // One Replay on the page: the Jobber card's.
    expect(screen.queryByRole('button', { name: /Replay/ })).toBeNull();
  });

  it('failed Jobber updates, seen by a member: no link, who can replay them', () => {
    renderView(deriveReviewsState(data({ jobberUpdatesFailed: 1 }), null), { role: 'member' });
    expect(screen.getByText(/^1 update from Jobber failed/).textContent).toBe(
      '1 update from Jobber failed, so the jobs they carry are not decided yet. An owner or admin can replay them in the Jobber card.',
    );
    expect(screen.queryByRole('link', { name: /Replay/ })).toBeNull();
  });

  it('no failed Jobber updates: nothing about them', () => {
    renderView(deriveReviewsState(data(), null));
    expect(screen.queryByText(/updates? from Jobber failed/)).toBeNull();
  });

  it('not connected: warns that jobs done now are not asked', () => {
    renderView(deriveReviewsState(data({ jobberStatus: 'disconnected' }), null));
    expect(screen.getByText('Jobber is not connected')).toBeTruthy();
    expect(liveRegion()).toBe('Review requests are on, but Jobber is not connected.');
  });

  it('needs approval: the queue first, with Approve and Skip per request', async () => {
    const request = held();
    const reviews = renderView(deriveReviewsState(data({ held: [request], activity: [request] }), null));
    expect(screen.getByRole('tab', { name: 'Activity (1 waiting)' })).toBeTruthy();
    expect(liveRegion()).toBe('1 review request is waiting for approval.');
    const queue = screen.getByRole('region', { name: 'Waiting for approval (1)' });
    expect(within(queue).getByText('Would be asked by text at +12125550143, with 1 follow-up. Done', { exact: false })).toBeTruthy();
    await userEvent.click(within(queue).getByRole('button', { name: 'Approve the request to Jane Doe' }));
    expect(reviews.approve).toHaveBeenCalledWith(request);
    await userEvent.click(within(queue).getByRole('button', { name: 'Skip the request to Jane Doe' }));
    expect(reviews.skip).toHaveBeenCalledWith(request);
  });

  it('on: what it does in one sentence, the channels, the chart and the recent jobs with their decisions', () => {
    const activity = [makeActivity(), skipped('recently_asked', { previous_asked_at: '2025-09-30T15:00:00.000Z' }, { customer: { id: 'c2', name: 'Luis Romero', status: 'active' } })];
    renderView(deriveReviewsState(data({ activity, chart: chartDays([[3, 2, 1]]) }), null));
    expect(screen.getByText("2 hours after a job is done, by text, else email, 8:00 AM–9:00 PM in each customer's time zone; 1 follow-up 3 days apart.")).toBeTruthy();
    expect(screen.getByText('Texts: set up')).toBeTruthy();
    const list = screen.getByRole('list', { name: 'Recent jobs' });
    expect(list.querySelectorAll(':scope > li')).toHaveLength(2);
    expect(within(list).getByText('Not asked: Luis was asked 12 days ago')).toBeTruthy();
    expect(within(list).getByText(/^First text to \+12125550143:/)).toBeTruthy();
    expect(screen.getByRole('img', { name: 'Review requests over the last 30 days: 3 sent, 2 delivered, 1 clicked.' })).toBeTruthy();
  });

  it('shows a reply under the request it answered', () => {
    const activity = makeActivity({ request: { replies: [{ id: 'r1', channel: 'sms', body: 'Done, thanks!', received_at: '2025-10-12T14:40:00.000Z' }] } });
    renderView(deriveReviewsState(data({ activity: [activity] }), null));
    const reply = screen.getByText('Done, thanks!').closest('blockquote')!;
    expect(reply.textContent).toMatch(/Jane Doe replied by text/);
  });

  it('gives the chart a data table with a caption, headers and totals', async () => {
    renderView(deriveReviewsState(data({ chart: chartDays([[3, 2, 1], [1, 1, 0]]) }), null));
    await userEvent.click(screen.getByText('Show the numbers as a table'));
    const table = screen.getByRole('table', { name: 'Review requests per day, last 30 days' });
    expect(within(table).getAllByRole('columnheader').map((th) => th.textContent)).toEqual(['Day', 'Sent', 'Delivered', 'Clicked']);
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(32);
    expect(rows[1]!.textContent).toBe('Sep 13321');
    expect(rows[31]!.textContent).toBe('Total431');
  });

  it('says when nothing went out instead of drawing an empty chart', () => {
    renderView(deriveReviewsState(data(), null));
    expect(screen.getByText('No review requests went out in this time.')).toBeTruthy();
  });

  it('shows the opt-outs, and lets owners remove only manual ones', async () => {
    const reviews = renderView(deriveReviewsState(data({ optOuts: [optOut(), optOut({ address: 'kim@example.com', channel: 'email', source: 'email_unsubscribe' })], optOutTotal: 140 }), null));
    await userEvent.click(screen.getByRole('tab', { name: 'Opt-outs' }));
    expect(screen.getByText('Showing the newest 2 of 140.')).toBeTruthy();
    expect(screen.getByText('The customer unsubscribed from emails: only they can undo it.')).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Remove +12125550199 from the opt-outs' }));
    expect(reviews.removeOptOut).toHaveBeenCalledWith(optOut());
  });

  it('shows the notice and a failed action', () => {
    renderView(deriveReviewsState(data(), null), { notice: 'Settings saved.', actionError: 'That review request no longer exists.' });
    expect(screen.getByText('Settings saved.').getAttribute('role')).toBe('status');
    expect(screen.getByRole('alert').textContent).toBe('That review request no longer exists.');
  });

  it('moves between tabs with the arrow keys, Home and End (one tab stop)', async () => {
    renderView(deriveReviewsState(data(), null));
    const tabs = screen.getAllByRole('tab');
    expect(tabs.map((t) => t.textContent)).toEqual(['Activity', 'Ask recent', 'Opt-outs', 'Settings']);
    expect(tabs.map((t) => t.getAttribute('tabindex'))).toEqual(['0', '-1', '-1', '-1']);
    tabs[0]!.focus();
    await userEvent.keyboard('{ArrowRight}');
    expect(document.activeElement).toBe(tabs[1]);
    expect(screen.getByRole('tabpanel').getAttribute('aria-labelledby')).toBe(tabs[1]!.id);
    await userEvent.keyboard('{End}');
    expect(document.activeElement).toBe(tabs[3]);
    await userEvent.keyboard('{ArrowRight}');
    expect(document.activeElement).toBe(tabs[0]);
    await userEvent.keyboard('{ArrowLeft}');
    expect(screen.getByRole('tab', { selected: true }).textContent).toBe('Settings');
  });

  it('tells an owner when a chosen channel is not set up on the server', async () => {
    renderView(deriveReviewsState(data({ channels: { sms: { configured: true }, email: { configured: false }, review_link_base: LINK_BASE, unsubscribe_url: UNSUBSCRIBE_URL } }), null));
    await userEvent.click(screen.getByRole('tab', { name: 'Settings' }));
    expect(screen.getByText(/^Email is not set up on this Blipp server yet/)).toBeTruthy();
  });
});
