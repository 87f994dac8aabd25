import type { PageServerLoad } from './$types';

// The hook's guard lets only signed-in visitors this far.
export const load: PageServerLoad = ({ locals }) => ({ userId: locals.session.get('userId')! });
