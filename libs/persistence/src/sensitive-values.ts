import type { SessionEvent } from '@foresight/contracts';
import { decode, encode } from '@foresight/messaging';
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** A configured data key: its id is stored with every value it encrypts. */
export interface DataKey {
  readonly id: string;
  readonly secret: string;
}

const FORMAT = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

type Groups = Record<string, Record<string, unknown>>;

/**
 * Encryption at rest of the variable values of sensitive state groups (AES-256-GCM). Only values are
 * encrypted, each on its own: group and variable names, sizes and every other column stay readable
 * for the index, expiry and audits. A sealed value is stored as MessagePack binary, which no JSON
 * value can be, so reads know it without a flag: format | key-id length | key id | iv | tag |
 * ciphertext of the value's MessagePack. The additional data binds it to its session, group and
 * name, so a value copied into another row does not open.
 *
 * Keys are listed oldest first: new values use the last; reads use whichever key id a value names,
 * so old values stay readable after a rotation until they are rewritten. A sealed value is opened
 * whether or not its group is still sensitive.
 */
export class SensitiveValues {
  private readonly sensitive: ReadonlySet<string>;
  private readonly keys = new Map<string, Buffer>();
  private readonly current: { id: string; idBytes: Buffer; key: Buffer } | undefined;

  constructor(options: { readonly sensitiveGroups: readonly string[]; readonly keys: readonly DataKey[] }) {
    this.sensitive = new Set(options.sensitiveGroups);
    for (const k of options.keys) {
      this.keys.set(k.id, Buffer.from(hkdfSync('sha256', k.secret, 'foresight-session-data', `foresight/session-values/v1/${k.id}`, 32)));
    }
    const newest = options.keys.at(-1);
    if (this.sensitive.size > 0 && !newest) throw new RangeError('sensitive groups need at least one encryption key');
    this.current = newest ? { id: newest.id, idBytes: Buffer.from(newest.id, 'utf8'), key: this.keys.get(newest.id)! } : undefined;
  }

  /** True when some group is sensitive (otherwise nothing is ever sealed). */
  get enabled(): boolean {
    return this.sensitive.size > 0;
  }

  /** The data of `event` as stored: values of sensitive groups sealed. */
  sealEvent(event: SessionEvent): unknown {
    if (!this.enabled) return event.data;
    if (event.type === 'session.variable_set' && this.sensitive.has(event.data.group)) {
      return { ...event.data, value: this.seal(event.sessionId, event.data.group, event.data.name, event.data.value) };
    }
    if (event.type === 'session.created') return { ...event.data, groups: this.sealGroups(event.sessionId, event.data.groups as Groups) };
    return event.data;
  }

  /**
   * `event` as published on the bus: the values of sensitive groups sealed as in Postgres, each
   * carried as `{ "$sealed": base64 }` (JSON-shaped, so every subscriber still decodes the event) and
   * the data stamped `sealed: true`. JetStream keeps events on disk: without this, the stream would
   * hold in clear what the event log encrypts. Events without sensitive values are returned as they are.
   */
  sealForBus(event: SessionEvent): SessionEvent {
    if (!this.enabled) return event;
    const wrap = (group: string, name: string, value: unknown) => ({ $sealed: this.seal(event.sessionId, group, name, value).toString('base64') });
    if (event.type === 'session.variable_set' && this.sensitive.has(event.data.group)) {
      return { ...event, data: { ...event.data, value: wrap(event.data.group, event.data.name, event.data.value), sealed: true } };
    }
    if (
      event.type === 'session.created' &&
      Object.keys(event.data.groups).some((g) => this.sensitive.has(g) && Object.keys(event.data.groups[g]!).length > 0)
    ) {
      const groups = mapGroups(event.data.groups as Groups, (group, name, value) => (this.sensitive.has(group) ? wrap(group, name, value) : value));
      return { ...event, data: { ...event.data, groups: groups as typeof event.data.groups, sealed: true } };
    }
    return event;
  }

  /** A value sealed by {@link sealForBus}, opened (for a subscriber that holds the data keys). */
  openFromBus(sessionId: string, group: string, name: string, value: unknown): unknown {
    const sealed = (value as { $sealed?: unknown } | null)?.$sealed;
    if (typeof sealed !== 'string') throw new Error(`the value of ${group}/${name} is not a sealed value`);
    return this.open(sessionId, group, name, Buffer.from(sealed, 'base64'));
  }

  /**
   * The inverse of {@link sealForBus}: `event` with the sealed values of its sensitive groups opened
   * and `sealed` removed, as it was before sealing. Throws when a value does not open (another key,
   * or altered on the way: the tag covers value, session, group and name).
   */
  openEventFromBus(event: SessionEvent): SessionEvent {
    const data = event.data as { sealed?: boolean };
    if (data.sealed !== true) return event;
    const { sealed: _sealed, ...rest } = data;
    if (event.type === 'session.variable_set') {
      const d = rest as typeof event.data;
      return { ...event, data: { ...d, value: this.openFromBus(event.sessionId, d.group, d.name, d.value) as typeof d.value } };
    }
    if (event.type === 'session.created') {
      const d = rest as typeof event.data;
      const groups = mapGroups(d.groups as Groups, (group, name, value) =>
        this.sensitive.has(group) ? this.openFromBus(event.sessionId, group, name, value) : value,
      );
      return { ...event, data: { ...d, groups: groups as typeof d.groups } };
    }
    return { ...event, data: rest } as SessionEvent;
  }

  /** Stored event data with every sealed value opened. */
  openEventData(sessionId: string, type: string, data: unknown): unknown {
    const d = data as { group?: string; name?: string; value?: unknown; groups?: Groups };
    if (type === 'session.variable_set' && d.value instanceof Uint8Array) return { ...d, value: this.open(sessionId, d.group!, d.name!, d.value) };
    if (type === 'session.created' && d.groups) return { ...d, groups: this.openGroups(sessionId, d.groups) };
    return data;
  }

  /** A snapshot's state as stored (anything with `groups`). */
  sealState(sessionId: string, state: unknown): unknown {
    const s = state as { groups?: Groups } | null;
    return this.enabled && s?.groups ? { ...s, groups: this.sealGroups(sessionId, s.groups) } : state;
  }

  openState(sessionId: string, state: unknown): unknown {
    const s = state as { groups?: Groups } | null;
    return s?.groups ? { ...s, groups: this.openGroups(sessionId, s.groups) } : state;
  }

  private sealGroups(sessionId: string, groups: Groups): Groups {
    return mapGroups(groups, (group, name, value) => (this.sensitive.has(group) ? this.seal(sessionId, group, name, value) : value));
  }

  private openGroups(sessionId: string, groups: Groups): Groups {
    return mapGroups(groups, (group, name, value) => (value instanceof Uint8Array ? this.open(sessionId, group, name, value) : value));
  }

  private seal(sessionId: string, group: string, name: string, value: unknown): Buffer {
    const { idBytes, key } = this.current!;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(aad(sessionId, group, name));
    const body = Buffer.concat([cipher.update(encode(value)), cipher.final()]);
    return Buffer.concat([Buffer.from([FORMAT, idBytes.length]), idBytes, iv, cipher.getAuthTag(), body]);
  }

  private open(sessionId: string, group: string, name: string, sealed: Uint8Array): unknown {
    const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    if (buf.length < 2 || buf[0] !== FORMAT) throw new Error(`a stored value of ${group}/${name} is binary but not a sealed value`);
    const idEnd = 2 + buf[1]!;
    const id = buf.subarray(2, idEnd).toString('utf8');
    const key = this.keys.get(id);
    if (!key) throw new Error(`a stored value of ${group}/${name} is encrypted with key "${id}", which SESSION_ENCRYPTION_KEYS does not list`);
    const decipher = createDecipheriv('aes-256-gcm', key, buf.subarray(idEnd, idEnd + IV_BYTES));
    decipher.setAAD(aad(sessionId, group, name));
    decipher.setAuthTag(buf.subarray(idEnd + IV_BYTES, idEnd + IV_BYTES + TAG_BYTES));
    return decode(Buffer.concat([decipher.update(buf.subarray(idEnd + IV_BYTES + TAG_BYTES)), decipher.final()]));
  }
}

function aad(sessionId: string, group: string, name: string): Buffer {
  return Buffer.from(`${sessionId}\u0000${group}\u0000${name}`, 'utf8');
}

/** Groups with every value mapped; `Object.fromEntries` keeps a "__proto__" name an own property. */
function mapGroups(groups: Groups, f: (group: string, name: string, value: unknown) => unknown): Groups {
  return Object.fromEntries(
    Object.entries(groups).map(([group, vars]) => [group, Object.fromEntries(Object.entries(vars).map(([name, value]) => [name, f(group, name, value)]))]),
  );
}
