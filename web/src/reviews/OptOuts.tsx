import { useId, useState, type FormEvent } from 'react';
import { formatDateTime, formatNumber } from '../jobber/format';
import { normaliseOptOutAddress } from './optOutAddress';
import type { Channel, OptOut } from './schemas';
import type { OptOutResult } from './useReviews';
import { formatWhen, optOutSourceText } from './words';

// Opt-outs: who gets no review message from this business, on any channel (SPEC §10). STOP
// replies, unsubscribes and complaints arrive by themselves; owners and admins add and remove
// manual ones. Phones are normalised to E.164 before they are added.

export interface OptOutsProps {
  optOuts: OptOut[];
  total: number;
  country: string;
  canManage: boolean;
  busy: string | null;
  now: number;
  onAdd: (channel: Channel, address: string) => Promise<OptOutResult>;
  onRemove: (optOut: OptOut) => void;
}

const SOURCE_LABEL: Record<OptOut['source'], string> = {
  sms_stop: 'Replied STOP',
  email_unsubscribe: 'Unsubscribed',
  email_complaint: 'Marked as spam',
  manual: 'Added by hand',
};

export function OptOuts({ optOuts, total, country, canManage, busy, now, onAdd, onRemove }: OptOutsProps) {
  const [channel, setChannel] = useState<Channel>('sms');
  const [address, setAddress] = useState('');
  const [error, setError] = useState<string | null>(null);
  const channelId = useId();
  const addressId = useId();
  const errorId = useId();
  const hintId = useId();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const normalised = normaliseOptOutAddress(channel, address, country);
    if (!normalised.ok) {
      setError(normalised.message);
      return;
    }
    setError(null);
    const result = await onAdd(channel, normalised.address);
    if (result.ok) setAddress('');
    else setError(result.message);
  }

  return (
    <section className="rv-section" aria-label="Opt-outs">
      <p>Nobody on this list gets a review message from you, by text or email. A customer who replies STOP or unsubscribes is added by themselves.</p>
      {canManage && (
        <form className="rv-inline-form" aria-label="Add an opt-out" onSubmit={(e) => void submit(e)} noValidate>
          <div className="app-field">
            <label htmlFor={channelId}>Stop</label>
            <select
              id={channelId}
              value={channel}
              onChange={(e) => {
                setChannel(e.target.value as Channel);
                setError(null);
              }}
            >
              <option value="sms">Texts to a phone number</option>
              <option value="email">Emails to an address</option>
            </select>
          </div>
          <div className="app-field rv-grow">
            <label htmlFor={addressId}>{channel === 'sms' ? 'Phone number' : 'Email address'}</label>
            <input
              id={addressId}
              type={channel === 'sms' ? 'tel' : 'email'}
              autoComplete="off"
              value={address}
              onChange={(e) => setAddress(e.target.value)}
              aria-invalid={error !== null}
              aria-describedby={error !== null ? `${errorId} ${hintId}` : hintId}
            />
            <span id={hintId} className="app-hint">
              {channel === 'sms' ? `Numbers without + are read as ${country} numbers.` : 'Any capitalisation; it is stored in lower case.'}
            </span>
            {error !== null && (
              <span id={errorId} className="rv-field-error" role="alert">
                {error}
              </span>
            )}
          </div>
          <button type="submit" className="jc-button jc-primary" disabled={busy !== null}>
            {busy === 'opt-out-add' ? 'Adding…' : 'Add opt-out'}
          </button>
        </form>
      )}
      {optOuts.length === 0 ? (
        <p className="jc-muted">Nobody has opted out.</p>
      ) : (
        <>
          <ul className="rv-list rv-opt-outs" aria-label="Opted-out addresses">
            {optOuts.map((o) => (
              <li key={`${o.channel}:${o.address}`} className="rv-opt-out">
                <span className="rv-opt-out-address">{o.address}</span>
                <span className="jc-muted">
                  {o.channel === 'sms' ? 'Texts' : 'Emails'} · {SOURCE_LABEL[o.source]}{' '}
                  <time dateTime={o.created_at} title={formatDateTime(o.created_at)}>
                    {formatWhen(o.created_at, now)}
                  </time>
                </span>
                {canManage && o.source === 'manual' && (
                  <button
                    type="button"
                    className="jc-button jc-danger rv-small"
                    disabled={busy !== null}
                    aria-label={`Remove ${o.address} from the opt-outs`}
                    onClick={() => onRemove(o)}
                  >
                    Remove
                  </button>
                )}
                {canManage && o.source !== 'manual' && (
                  <span className="app-hint">The customer {optOutSourceText(o.source)}: only they can undo it.</span>
                )}
              </li>
            ))}
          </ul>
          {total > optOuts.length && (
            <p className="jc-muted">
              Showing the newest {formatNumber(optOuts.length)} of {formatNumber(total)}.
            </p>
          )}
        </>
      )}
    </section>
  );
}
