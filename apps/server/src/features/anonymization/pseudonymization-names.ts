/**
 * Name pools for pseudo patients and pseudonymous text. Common German names,
 * chosen by us; a pseudonym says nothing about the person behind it.
 */
export const FEMALE_FIRST_NAMES: readonly string[] = [
  'Anna', 'Maria', 'Ursula', 'Monika', 'Petra', 'Elisabeth', 'Sabine', 'Renate', 'Helga', 'Karin',
  'Brigitte', 'Ingrid', 'Erika', 'Andrea', 'Gisela', 'Claudia', 'Susanne', 'Gabriele', 'Christa', 'Christine',
  'Hildegard', 'Barbara', 'Martina', 'Birgit', 'Stefanie', 'Nicole', 'Katharina', 'Julia', 'Laura', 'Lena',
  'Sophie', 'Johanna', 'Charlotte', 'Greta', 'Marlene', 'Ilse', 'Irmgard', 'Waltraud', 'Angelika', 'Heike',
];

export const MALE_FIRST_NAMES: readonly string[] = [
  'Peter', 'Michael', 'Wolfgang', 'Thomas', 'Klaus', 'Jürgen', 'Dieter', 'Manfred', 'Uwe', 'Günter',
  'Werner', 'Gerhard', 'Horst', 'Helmut', 'Bernd', 'Frank', 'Andreas', 'Stefan', 'Ralf', 'Karl',
  'Heinz', 'Rainer', 'Walter', 'Joachim', 'Hans', 'Dirk', 'Markus', 'Jörg', 'Martin', 'Matthias',
  'Lukas', 'Felix', 'Jonas', 'Paul', 'Maximilian', 'Friedrich', 'Ernst', 'Otto', 'Rudolf', 'Volker',
];

export const LAST_NAMES: readonly string[] = [
  'Schneider', 'Fischer', 'Meyer', 'Wagner', 'Becker', 'Schulz', 'Hoffmann', 'Koch', 'Bauer', 'Richter',
  'Klein', 'Wolf', 'Schröder', 'Neumann', 'Schwarz', 'Zimmermann', 'Braun', 'Krüger', 'Hofmann', 'Hartmann',
  'Lange', 'Schmitt', 'Werner', 'Schmitz', 'Krause', 'Meier', 'Lehmann', 'Schmid', 'Schulze', 'Maier',
  'Köhler', 'Herrmann', 'König', 'Walter', 'Mayer', 'Huber', 'Kaiser', 'Fuchs', 'Peters', 'Lang',
  'Scholz', 'Möller', 'Weiß', 'Jung', 'Hahn', 'Schubert', 'Vogel', 'Friedrich', 'Keller', 'Günther',
  'Frank', 'Berger', 'Winkler', 'Roth', 'Beck', 'Lorenz', 'Baumann', 'Franke', 'Albrecht', 'Schuster',
];
