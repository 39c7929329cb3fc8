import { ClientErrorCodes, ForesightError, IncompatibleServerError } from './errors.js';
import { CONTRACT_VERSION, type ContractInfo } from './generated/contract.js';
import { compatibleContracts } from './limits.js';
import type { CallOptions, Transport } from './transport.js';

/**
 * Reads the gateway's contract and refuses, as one IncompatibleServerError naming both versions, a
 * server that is not a Foresight gateway or speaks a contract this client cannot.
 */
export async function fetchContract(transport: Transport, call?: CallOptions): Promise<ContractInfo> {
  let info: ContractInfo;
  try {
    info = await transport.call('AgentController_contractInfo', {}, call, false);
  } catch (error) {
    if (error instanceof ForesightError && (error.status === 404 || error.code === ClientErrorCodes.BAD_RESPONSE)) {
      throw new IncompatibleServerError({
        code: ClientErrorCodes.INCOMPATIBLE_SERVER,
        status: error.status,
        message: `${transport.gateway} does not serve /v1/contract: it is not a Foresight gateway, or one older than contract ${CONTRACT_VERSION} that this client needs.`,
        cause: error,
      });
    }
    throw error;
  }
  if (typeof info?.contractVersion !== 'string' || !compatibleContracts(CONTRACT_VERSION, info.contractVersion)) {
    throw new IncompatibleServerError({
      code: ClientErrorCodes.INCOMPATIBLE_SERVER,
      message: `${transport.gateway} speaks contract ${String(info?.contractVersion)}; this client (@foresight/client ${CONTRACT_VERSION}) needs ${CONTRACT_VERSION.replace(/^0\.(\d+)\..*$/, '0.$1.x').replace(/^([1-9]\d*)\..*$/, '$1.x')}. Upgrade the one that is behind.`,
      details: { server: info?.contractVersion, client: CONTRACT_VERSION },
    });
  }
  return info;
}
