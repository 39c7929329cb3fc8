import { ErrorCodes, ForesightError, subjects } from '@foresight/contracts';
import { nodeRequest } from './metadata.rpc';

const s = subjects('fs');
const meta = (subject: string) => ({ op: '', subject, correlationId: 'c', causationId: 'c' });

describe('membership requests', () => {
  it('take the node id from the subject, never from the body', () => {
    const body = { incarnation: 'i1', nodeId: 'someone-else', appliedVersion: 4 };
    expect(nodeRequest(s, 'register', body, meta(s.membershipRpc('n1', 'register')))).toEqual({ nodeId: 'n1', incarnation: 'i1' });
    expect(nodeRequest(s, 'heartbeat', body, meta(s.membershipRpc('n1', 'heartbeat')))).toEqual({ nodeId: 'n1', incarnation: 'i1', appliedVersion: 4 });
  });

  it('read a handover only on leave', () => {
    const body = { incarnation: 'i1', handoff: true };
    expect(nodeRequest(s, 'leave', body, meta(s.membershipRpc('n1', 'leave')))).toEqual({ nodeId: 'n1', incarnation: 'i1', handoff: true });
    expect(nodeRequest(s, 'leave', { incarnation: 'i1' }, meta(s.membershipRpc('n1', 'leave')))).toEqual({ nodeId: 'n1', incarnation: 'i1' });
    expect(nodeRequest(s, 'heartbeat', body, meta(s.membershipRpc('n1', 'heartbeat')))).toEqual({ nodeId: 'n1', incarnation: 'i1' });
  });

  it('refuse bodies that do not fit the schema, and subjects of another op', () => {
    const refuse = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return error instanceof ForesightError ? [error.code, error.message] : error;
      }
      return 'accepted';
    };
    expect(refuse(() => nodeRequest(s, 'heartbeat', { incarnation: '' }, meta(s.membershipRpc('n1', 'heartbeat'))))).toEqual([
      ErrorCodes.VALIDATION,
      '"incarnation" must be a non-empty string of at most 64 characters.',
    ]);
    expect(refuse(() => nodeRequest(s, 'heartbeat', { incarnation: 'i', appliedVersion: -1 }, meta(s.membershipRpc('n1', 'heartbeat'))))).toEqual([
      ErrorCodes.VALIDATION,
      '"appliedVersion" must be an integer ≥ 0.',
    ]);
    expect(refuse(() => nodeRequest(s, 'leave', { incarnation: 'i', handoff: 'yes' }, meta(s.membershipRpc('n1', 'leave'))))).toEqual([
      ErrorCodes.VALIDATION,
      expect.stringContaining('"handoff"'),
    ]);
    expect(refuse(() => nodeRequest(s, 'leave', { incarnation: 'i' }, meta(s.membershipRpc('n1', 'register'))))).toEqual([
      ErrorCodes.VALIDATION,
      expect.stringMatching(/must be sent on fs\.rpc\.metadata\.node/),
    ]);
  });
});
