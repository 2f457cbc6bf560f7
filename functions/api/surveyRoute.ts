import { createHash } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { handOver } from '../application/decisionHandOver';
import type { Deps } from '../application/deps';
import { type SurveyAnswer, verifySurveyToken } from '../application/surveyLinks';
import type { Actor, Complaint, FollowUpOutcome } from '../core/complaint';
import { ConflictError, ValidationError } from '../core/errors';
import { surveyQuerySchema } from './schemas';

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

const page = (statusCode: number, title: string, html: string): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    // The page posts only to itself and loads nothing; it must not be framed (clickjacking the answer).
    'content-security-policy': "default-src 'none'; form-action 'self'; frame-ancestors 'none'",
    'referrer-policy': 'no-referrer',
  },
  body: `<!doctype html><html><head><meta charset="utf-8"><meta name="robots" content="noindex"><title>${title}</title></head><body><h1>${title}</h1>${html}</body></html>`,
});
const text = (statusCode: number, title: string, message: string) =>
  page(statusCode, title, `<p>${escapeHtml(message)}</p>`);

const questions: Record<SurveyAnswer, string> = {
  satisfied: 'Yes, I am satisfied with how my case was resolved',
  unsatisfied: 'No, I am not satisfied: please reopen my case',
};

const earlierSurvey =
  'This link is from an earlier survey about your case. Please use the link from our latest email, or simply reply to it.';

/**
 * The complaint a survey link names, or the page to answer with (invalid, expired, unknown link).
 */
async function linkedComplaint(
  event: APIGatewayProxyEventV2,
  services: Deps,
): Promise<{ complaint: Complaint } | { response: APIGatewayProxyStructuredResultV2 }> {
  let complaintId: string;
  let surveySentAt: string | undefined;
  try {
    const verified = await verifySurveyToken(await services.signingKey(), event.pathParameters?.token ?? '');
    if (verified === 'expired') {
      return {
        response: text(
          410,
          'Link expired',
          'This link has expired. Simply reply to our email and we will get back to you.',
        ),
      };
    }
    complaintId = verified.complaintId;
    surveySentAt = verified.surveySentAt;
  } catch (e) {
    if (e instanceof ValidationError)
      return { response: text(400, 'Invalid link', 'This link is not valid.') };
    throw e;
  }
  const complaint = await services.store.get(complaintId);
  if (!complaint) return { response: text(404, 'Not found', 'We could not find this case.') };
  // The link of an earlier survey of the complaint (it was reopened and resolved again since): it is
  // over, as an expired link is, and answers nothing of the survey or call open now.
  if (surveySentAt !== undefined && surveySentAt !== complaint.followUp?.surveySentAt) {
    return { response: text(410, 'Link expired', earlierSurvey) };
  }
  return { complaint };
}

/**
 * GET of the link in the satisfaction email: a page asking the customer to confirm, and nothing else.
 * A GET must not change state (RFC 9110 §9.2.1): mail security scanners and link previews open every
 * link of a mail, and would otherwise answer the survey (and reopen the case) for the customer.
 */
export async function showSurvey(
  event: APIGatewayProxyEventV2,
  services: Deps,
): Promise<APIGatewayProxyStructuredResultV2> {
  const parsed = surveyQuerySchema.safeParse(event.queryStringParameters ?? {});
  if (!parsed.success)
    return text(400, 'Invalid link', 'This link is incomplete. Please use the link from our email.');
  const linked = await linkedComplaint(event, services);
  if ('response' in linked) return linked.response;
  // Both answers are offered, the one clicked first: a scanner submits no form, a person confirms.
  const order: SurveyAnswer[] =
    parsed.data.answer === 'satisfied' ? ['satisfied', 'unsatisfied'] : ['unsatisfied', 'satisfied'];
  const buttons = order
    .map(
      (answer) =>
        `<form method="post"><input type="hidden" name="answer" value="${answer}"><button type="submit">${escapeHtml(questions[answer])}</button></form>`,
    )
    .join('');
  return page(
    200,
    'Your answer',
    `<p>${escapeHtml(`Case ${linked.complaint.reference}: please confirm your answer.`)}</p>${buttons}`,
  );
}

/**
 * The form body of the confirmation page (`application/x-www-form-urlencoded`), or undefined when a
 * field comes more than once. The page sends each field once; a repeated one (two answers) cannot say
 * which the customer meant, and taking the first or the last would let the order of the fields decide
 * whether the case is reopened.
 */
function formBody(event: APIGatewayProxyEventV2): Record<string, string> | undefined {
  const raw = event.body
    ? event.isBase64Encoded
      ? Buffer.from(event.body, 'base64').toString('utf8')
      : event.body
    : '';
  const fields = new URLSearchParams(raw);
  const names = [...fields.keys()];
  return new Set(names).size === names.length ? Object.fromEntries(fields) : undefined;
}

/**
 * The idempotency key of an answer: the wait it answers (its token: live while the wait is open, the
 * newest spent one once an answer consumed it) and the answer. The same answer posted again after a
 * post that died between its accepting write and the hand-over names the same decision, and completes
 * that hand-over (else the answer stayed pending on the complaint, the customer was told it is recorded,
 * and the survey's wait timed out without it).
 */
function answerIdOf(complaint: Complaint, answer: SurveyAnswer): string {
  const wait = complaint.status === 'deciding' ? complaint.spentTokens?.at(-1) : complaint.taskToken;
  return createHash('sha256')
    .update(JSON.stringify(['survey', wait ?? '', answer]))
    .digest('hex')
    .slice(0, 32);
}

/**
 * The customer's confirmed answer, posted from the confirmation page. The link's HMAC-signed, expiring
 * token names the complaint; the answer completes the survey (or a still-open follow-up call) task. A
 * negative answer reopens the complaint. Idempotent: a repeated post finds nothing waiting and answers
 * that the answer is already recorded; the same answer again while its hand-over is unfinished completes it.
 */
export async function answerSurvey(
  event: APIGatewayProxyEventV2,
  services: Deps,
  now: () => Date,
): Promise<APIGatewayProxyStructuredResultV2> {
  const form = formBody(event);
  const parsed = form ? surveyQuerySchema.safeParse(form) : undefined;
  if (!parsed?.success)
    return text(400, 'Invalid answer', 'Please use the buttons on the page from our email link.');
  const linked = await linkedComplaint(event, services);
  if ('response' in linked) return linked.response;
  const { complaint } = linked;
  const customer: Actor = { kind: 'customer', id: complaint.customerEmail, email: complaint.customerEmail };
  const decision: FollowUpOutcome = {
    action: 'follow_up',
    outcome: parsed.data.answer,
    by: customer,
    via: 'survey',
  };
  const answerId = answerIdOf(complaint, parsed.data.answer);
  const recorded = text(200, 'Thank you', 'We already have your answer for this case.');
  try {
    await handOver(services, customer, now, complaint, ['survey', 'follow_up'], decision, answerId);
  } catch (e) {
    if (!(e instanceof ConflictError)) throw e;
    return recorded;
  }
  // The same answer again, accepted before: its hand-over is complete now, and the answer was not new.
  if (complaint.status === 'deciding' && complaint.pendingDecision?.decisionId === answerId) return recorded;
  return parsed.data.answer === 'satisfied'
    ? text(200, 'Thank you', 'We are glad the matter is settled.')
    : text(200, 'Thank you', 'We are sorry. Your case has been reopened and an agent will contact you.');
}
