import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Actor, FollowUpOutcome } from '../core/complaint';
import { ConflictError, ValidationError } from '../core/errors';
import { handOver } from '../shared/decisionHandOver';
import type { Services } from '../shared/services';
import { verifySurveyToken } from '../shared/surveyLinks';
import { surveyQuerySchema } from './schemas';

const page = (statusCode: number, title: string, text: string): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
  body: `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><p>${text}</p></body></html>`,
});

/**
 * The customer's answer from the satisfaction email. The link's HMAC-signed, expiring token names the
 * complaint; the answer completes the survey (or a still-open follow-up call) task. A negative answer
 * reopens the complaint. Answering twice is harmless: the second click finds nothing waiting.
 */
export async function answerSurvey(
  event: APIGatewayProxyEventV2,
  services: Services,
  now: () => Date,
): Promise<APIGatewayProxyStructuredResultV2> {
  const parsed = surveyQuerySchema.safeParse(event.queryStringParameters ?? {});
  if (!parsed.success)
    return page(400, 'Invalid link', 'This link is incomplete. Please use the link from our email.');
  let complaintId: string;
  try {
    const verified = await verifySurveyToken(event.pathParameters?.token ?? '');
    if (verified === 'expired') {
      return page(
        410,
        'Link expired',
        'This link has expired. Simply reply to our email and we will get back to you.',
      );
    }
    complaintId = verified;
  } catch (e) {
    if (e instanceof ValidationError) return page(400, 'Invalid link', 'This link is not valid.');
    throw e;
  }
  const complaint = await services.store.get(complaintId);
  if (!complaint) return page(404, 'Not found', 'We could not find this case.');
  const customer: Actor = { kind: 'customer', id: complaint.customerEmail, email: complaint.customerEmail };
  const decision: FollowUpOutcome = {
    action: 'follow_up',
    outcome: parsed.data.answer,
    by: customer,
    via: 'survey',
  };
  try {
    await handOver(services, customer, now, complaint, ['survey', 'follow_up'], decision);
  } catch (e) {
    if (!(e instanceof ConflictError)) throw e;
    return page(200, 'Thank you', 'We already have your answer for this case.');
  }
  return parsed.data.answer === 'satisfied'
    ? page(200, 'Thank you', 'We are glad the matter is settled.')
    : page(200, 'Thank you', 'We are sorry. Your case has been reopened and an agent will contact you.');
}
