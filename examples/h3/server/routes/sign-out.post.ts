export { signOut as default } from '../../routes.ts';
