import type { SessionInfo } from '@lx/contracts';
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { http } from '../../shared/http';

export type Capability = string | { resource: string; access: 'read' | 'write' };

/** Who is signed in and what they may use (the server's `auth/session/`, already camelCase). */
export const useSessionStore = defineStore('session', () => {
  const info = ref<SessionInfo | null>(null);
  const error = ref<string | null>(null);
  const user = computed(() => info.value?.user ?? null);
  const authenticated = computed(() => info.value?.authenticated === true);

  async function load(): Promise<SessionInfo | null> {
    try {
      info.value = await http.get<SessionInfo>('auth/session/');
      error.value = null;
    } catch (e) {
      error.value = (e as Error).message;
    }
    return info.value;
  }

  /** A capability key (`page.anonymization.overview`) or a resource access (`{resource:'video', access:'write'}`). */
  function can(cap: Capability): boolean {
    const caps = info.value?.capabilities ?? {};
    if (typeof cap === 'string') {
      const v = caps[cap];
      return v === true || (typeof v === 'object' && v.read);
    }
    const v = caps[cap.resource];
    return typeof v === 'object' ? v[cap.access] : v === true;
  }

  /** Sends the browser to the server's sign-in page, coming back to `next` afterwards. */
  function redirectToLogin(next: string): void {
    const base = info.value?.loginUrl ?? '/login/';
    window.location.assign(`${base}${base.includes('?') ? '&' : '?'}next=${encodeURIComponent(next)}`);
  }

  async function logout(): Promise<void> {
    const out = await http.post<{ detail: string; logoutUrl: string | null }>('auth/logout/', {});
    window.location.assign(out.logoutUrl ?? '/login/');
  }

  return { info, error, user, authenticated, load, can, redirectToLogin, logout };
});
