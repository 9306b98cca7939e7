/** UI texts, German first (the clinicians' language), English second. */
export const de = {
  app: { title: 'LX-Annotate', skip: 'Zum Inhalt springen' },
  nav: {
    mainPath: 'Arbeitsablauf',
    overview: '1. Videoübersicht – Anonymisierung starten',
    resume: '1b. Validierung fortsetzen',
    annotate: '2. Videountersuchung bearbeiten',
    caseResolution: '3. Fallzuordnung',
    hubExport: 'Registerexport',
    processing: 'in Bearbeitung',
    waiting: 'warten auf Validierung',
    logout: 'Abmelden',
    signedInAs: 'Angemeldet als {name}',
  },
  denied: {
    title: 'Nicht berechtigt',
    body: 'Ihr Konto hat keine Berechtigung für diese Seite. Wenden Sie sich an die Administration Ihres Zentrums, wenn Sie Zugriff benötigen.',
    back: 'Zur Startseite',
  },
  common: { loading: 'Wird geladen…', retry: 'Erneut versuchen' },
};

export const en: typeof de = {
  app: { title: 'LX-Annotate', skip: 'Skip to content' },
  nav: {
    mainPath: 'Workflow',
    overview: '1. Video overview – start anonymization',
    resume: '1b. Continue validation',
    annotate: '2. Edit video examination',
    caseResolution: '3. Case resolution',
    hubExport: 'Registry export',
    processing: 'processing',
    waiting: 'awaiting validation',
    logout: 'Sign out',
    signedInAs: 'Signed in as {name}',
  },
  denied: {
    title: 'Not authorized',
    body: 'Your account may not use this page. Ask your center administration if you need access.',
    back: 'Back to start',
  },
  common: { loading: 'Loading…', retry: 'Try again' },
};
