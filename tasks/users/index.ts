/** Users and groups: user, group, authorizedKey, and the getent-based facts they read. */
export {
  type AuthorizedKeysState,
  authorizedKeysFact,
  type GroupEntry,
  groupFact,
  groupsFact,
  type Memberships,
  membershipsFact,
  type PasswdEntry,
  passwdFact,
} from './facts';
export { authorizedKey, AuthorizedKeyParams, type AuthorizedKeyPlan, parseKeyLine } from './authorized-key';
export { group, GroupParams, type GroupPlan } from './group';
export { user, UserParams, type UserPlan } from './user';
