export { signIn as default } from '../../routes.ts';
