import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import { useSessionStore, type Capability } from '../features/auth/session.store';
import NotAuthorizedPage from '../features/shell/NotAuthorizedPage.vue';

declare module 'vue-router' {
  interface RouteMeta {
    /** Needed to open the page; without it the user sees "Nicht berechtigt". */
    capability?: Capability;
    title?: string;
  }
}

/** Page paths; the server's SPA fallback (apps/server/src/http/spa.ts) serves the same list. */
export const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/anonymisierung/uebersicht' },
  {
    path: '/anonymisierung/uebersicht',
    component: () => import('../features/anonymization/OverviewPage.vue'),
    meta: { capability: 'page.anonymization.overview', title: 'Anonymisierung – Übersicht' },
  },
  {
    path: '/anonymisierung/validierung',
    component: () => import('../features/anonymization/ValidationPage.vue'),
    meta: { capability: 'page.anonymization.validate', title: 'Anonymisierung – Validierung' },
  },
  {
    path: '/video-untersuchung',
    component: () => import('../features/segments/AnnotationPage.vue'),
    meta: { capability: 'page.videos.view', title: 'Videountersuchung' },
  },
  {
    path: '/anonymisierung/korrektur/:fileId',
    component: () => import('../features/correction/CorrectionPage.vue'),
    meta: { capability: 'page.anonymization.validate', title: 'Anonymisierung – Korrektur' },
  },
  {
    path: '/reporting/case-resolution',
    component: () => import('../features/cases/CaseResolutionPage.vue'),
    meta: { capability: { resource: 'patient', access: 'read' }, title: 'Fallzuordnung' },
  },
  {
    path: '/hub-export',
    component: () => import('../features/hub/HubExportPage.vue'),
    // The server checks `hub-export` exactly; the session's capability map knows its `data` fallback.
    meta: { capability: { resource: 'data', access: 'read' }, title: 'Registerexport' },
  },
  { path: '/nicht-berechtigt', component: NotAuthorizedPage, meta: { title: 'Nicht berechtigt' } },
  { path: '/:pathMatch(.*)*', redirect: '/' },
];

export function createAppRouter() {
  const router = createRouter({ history: createWebHistory('/'), routes });
  router.beforeEach(async (to) => {
    const session = useSessionStore();
    if (!session.info) await session.load();
    if (!session.info) return true; // server unreachable: the shell shows the error
    if (!session.authenticated) {
      session.redirectToLogin(to.fullPath);
      return false;
    }
    if (session.user?.mustChangePassword) {
      window.location.assign(`/login/password/?next=${encodeURIComponent(to.fullPath)}`);
      return false;
    }
    if (to.meta.capability && !session.can(to.meta.capability)) return { path: '/nicht-berechtigt', query: { von: to.fullPath } };
    return true;
  });
  router.afterEach((to) => {
    document.title = `${to.meta.title ?? 'Start'} – LX-Annotate`;
  });
  return router;
}
