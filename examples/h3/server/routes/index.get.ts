export { home as default } from '../../routes.ts';
