export { visit as default } from '../../routes.ts';
