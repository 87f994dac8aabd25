export { setKey as default } from '../../../routes.ts';
