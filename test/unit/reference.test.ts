import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalReference, complaintIdFor, referenceFor } from '../../functions/core/reference';

describe('references', () => {
  it('derives the same complaint id from the same mail identity (idempotent intake)', () => {
    expect(complaintIdFor('mid:abc@example.org')).toBe(complaintIdFor('mid:abc@example.org'));
    expect(complaintIdFor('mid:abc@example.org')).not.toBe(complaintIdFor('mid:abd@example.org'));
    expect(complaintIdFor('x')).toMatch(/^[0-9a-f]{26}$/);
  });

  it('makes CMP- references of 6 unambiguous characters, a different one per attempt', () => {
    fc.assert(
      fc.property(fc.string(), (identity) => {
        const id = complaintIdFor(identity);
        const first = referenceFor(id);
        expect(first).toMatch(/^CMP-[0-9A-HJKMNP-TV-Z]{6}$/);
        expect(canonicalReference(first)).toBe(first);
        expect(canonicalReference(first.toLowerCase().replace('-', ''))).toBe(first);
        expect(referenceFor(id, 1)).not.toBe(first);
      }),
    );
  });
});
