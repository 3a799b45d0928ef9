import { describe, expect, it } from 'vitest';
import { sentence } from './sentence';

describe('sentence', () => {
  it('adds a full stop to a sentence without one', () => {
    expect(sentence('Connected to Jobber as Green Lawn Pros')).toBe('Connected to Jobber as Green Lawn Pros.');
  });

  it('keeps the one a name ending the sentence brings, and other end marks', () => {
    expect(sentence('Connected to Jobber as Sparkle Cleaning Co.')).toBe('Connected to Jobber as Sparkle Cleaning Co.');
    expect(sentence('Done!')).toBe('Done!');
    expect(sentence('Ready?')).toBe('Ready?');
  });
});
