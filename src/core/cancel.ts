/**
 * A light cancellation signal for the per-request hot path. `AbortController` builds an
 * EventTarget for every request, which costs more than the rest of Warden's bookkeeping for a
 * small call; this keeps the same three members Warden uses, so a real AbortSignal still fits.
 */

/** What Warden needs of a cancellation signal (an AbortSignal satisfies it). */
export interface CancelSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** A cancellation source and its signal in one object. */
export class Canceller implements CancelSignal {
  private listeners: (() => void)[] | undefined;
  private abortedValue = false;

  /** True once cancel() ran. */
  get aborted(): boolean {
    return this.abortedValue;
  }

  /** The signal side (this object). */
  get signal(): CancelSignal {
    return this;
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.abortedValue) return;
    (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const l = this.listeners;
    if (l === undefined) return;
    const i = l.indexOf(listener);
    if (i >= 0) l.splice(i, 1);
  }

  /** Cancels: every listener runs once. */
  abort(): void {
    if (this.abortedValue) return;
    this.abortedValue = true;
    const l = this.listeners;
    this.listeners = undefined;
    if (l !== undefined) for (const fn of l) fn();
  }
}
