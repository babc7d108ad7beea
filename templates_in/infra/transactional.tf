terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

provider "aws" {
  region = "eu-west-1"
}

# Invoices: the HTML lives beside this file; the text part is a heredoc.
resource "aws_ses_template" "invoice_paid" {
  name    = "invoice-paid"
  subject = "Receipt for invoice {{invoice.number}} ({{invoice.total}})"
  html    = file("${path.module}/templates/invoice-paid.html")
  text    = <<-EOT
    Thanks for your payment, {{customer.name}}.

    Invoice {{invoice.number}}, paid on {{invoice.paidOn}}: {{invoice.total}}
    {{#each invoice.lines}}
      {{description}}: {{amount}}
    {{/each}}
    {{#if invoice.pdfUrl}}
    Download the PDF: {{invoice.pdfUrl}}
    {{/if}}
    EOT
}

resource "aws_ses_template" "team_invitation" {
  name    = "team-invitation"
  subject = "{{inviter.name}} invited you to join {{team.name}} on Harborline"
  html    = <<EOT
<!DOCTYPE html>
<html lang="en">
<body style="margin:0;padding:24px;background-color:#f5f7f9;font-family:Helvetica,Arial,sans-serif;color:#1d2733;">
  <div style="max-width:560px;margin:0 auto;background:#ffffff;border-radius:6px;padding:32px;">
    <p style="margin:0 0 16px 0;">{{inviter.name}} invited you to the <strong>{{team.name}}</strong> team.</p>
    {{#if message}}
    <blockquote style="margin:0 0 16px 0;padding-left:12px;border-left:3px solid #c9d3de;color:#5b6b7c;">{{message}}</blockquote>
    {{/if}}
    <p style="margin:0 0 24px 0;"><a href="{{acceptUrl}}" style="display:inline-block;padding:10px 22px;background:#0b6bcb;color:#ffffff;border-radius:4px;text-decoration:none;">Join {{team.name}}</a></p>
    <p style="margin:0;color:#5b6b7c;font-size:13px;">The invitation expires on {{expiresOn}}.</p>
  </div>
</body>
</html>
EOT
  text    = "{{inviter.name}} invited you to the {{team.name}} team.\n{{#if message}}\n\"{{message}}\"\n{{/if}}\nJoin: {{acceptUrl}}\nThe invitation expires on {{expiresOn}}.\n"
}
