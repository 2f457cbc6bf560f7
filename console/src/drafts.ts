import { useEffect, useState } from 'preact/hooks';

/**
 * Text being typed is kept in sessionStorage as it is typed, so that a session that expires mid-reply
 * (sign-in, then back) or a reload after a conflict loses nothing. Cleared when the form is sent.
 */
const prefix = 'draft:';

export function useDraft(key: string, initial = ''): [string, (value: string) => void, () => void] {
  const storageKey = `${prefix}${key}`;
  const [value, setValue] = useState(() => sessionStorage.getItem(storageKey) ?? initial);
  useEffect(() => {
    setValue(sessionStorage.getItem(storageKey) ?? initial);
  }, [storageKey]);
  const update = (next: string) => {
    setValue(next);
    if (next) sessionStorage.setItem(storageKey, next);
    else sessionStorage.removeItem(storageKey);
  };
  const clear = () => update('');
  return [value, update, clear];
}

/** A deliberate sign-out leaves nothing typed behind for whoever uses this tab next. */
export function clearDrafts() {
  for (const key of Object.keys(sessionStorage)) if (key.startsWith(prefix)) sessionStorage.removeItem(key);
}
