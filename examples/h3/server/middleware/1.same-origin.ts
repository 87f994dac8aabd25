// First (file names run in order), so a refused request never loads or writes a session.
export { sameOriginOnly as default } from '../../sessions.ts';
