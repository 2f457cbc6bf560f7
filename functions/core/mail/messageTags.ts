/**
 * Message tags naming the complaint and the mail (SES returns a send's tags with its events). A module
 * of their own: the senders need them without the SES event schemas that read them back.
 */
export const complaintTag = 'complaint';
export const mailTag = 'mail';
