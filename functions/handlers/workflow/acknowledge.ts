import { stepInputs } from '../../../workflows/contract';
import { acknowledgeAndInvestigate, recordAcknowledgementFailure } from '../../application/acknowledgement';
import type { Deps } from '../../application/deps';
import { complaintStore } from '../../composition/factories/complaintStore';
import { mailLedger } from '../../composition/factories/mailLedger';
import { sesMailer } from '../../composition/factories/sesMailer';
import { teamNotifier } from '../../composition/factories/teamNotifier';
import { lambdaEntry } from '../../composition/lambda';

/**
 * AcknowledgeAndInvestigate, the first state of every execution: acknowledges the complaint to the
 * customer once, then investigates it (or hands the investigation to the Investigate state). It runs
 * inside the workflow so that whatever happens to the mail (SES refusing the address or a header), the
 * complaint is investigated and queued.
 *
 * AcknowledgementFailed (with `failure`: the acknowledgement's retries are spent) records
 * `acknowledgementFailed` on the timeline; the workflow investigates next.
 */
export const createHandler = (deps: Deps) => async (event: unknown) => {
  const { complaintId, failure } = stepInputs.acknowledge.parse(event);
  if (!failure) return acknowledgeAndInvestigate(deps, complaintId);
  await recordAcknowledgementFailure(deps, complaintId, failure);
  return { complaintId };
};

export const { handler, handlerFor } = lambdaEntry(createHandler, [], {
  store: complaintStore,
  mailer: sesMailer,
  notifier: teamNotifier,
  ledger: mailLedger,
});
