/** Quotes `word` for a POSIX shell when it needs it, so a hint can be pasted as it stands. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A command line to suggest, each word quoted as a shell needs it. */
export function shellCommand(...words: string[]): string {
  return words.map(shellWord).join(' ');
}
