// Server-sent events from GET /dashboard/events. EventSource cannot send the Authorization
// header, so a short-lived stream token is minted first (POST /dashboard/stream-token).
import { api } from './api.js';

export class LiveFeed {
  constructor(onEvent, onState) {
    this.onEvent = onEvent;
    this.onState = onState;
    this.source = null;
    this.stopped = true;
    this.retryTimer = null;
    this.failures = 0;
  }

  start() {
    this.stopped = false;
    void this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.source?.close();
    this.source = null;
    this.onState('off');
  }

  async connect() {
    if (this.stopped) return;
    this.onState('connecting');
    let url;
    try {
      ({ url } = await api('/dashboard/stream-token', { method: 'POST' }));
    } catch {
      return this.retry();
    }
    if (this.stopped) return;
    const source = new EventSource(url);
    this.source = source;
    source.addEventListener('hello', () => {
      this.failures = 0;
      this.onState('on');
    });
    for (const type of ['changed', 'kpi']) {
      source.addEventListener(type, (e) => this.onEvent(type, JSON.parse(e.data)));
    }
    source.onerror = () => {
      // The browser reconnects by itself with the same URL; once the token expired that fails
      // for good (CLOSED): mint a new token and open a new stream.
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        this.retry();
      } else {
        this.onState('connecting');
      }
    };
  }

  retry() {
    if (this.stopped) return;
    this.onState('off');
    this.failures += 1;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), Math.min(30_000, 1000 * 2 ** Math.min(this.failures, 5)));
  }
}
