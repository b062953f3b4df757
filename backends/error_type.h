// The kinds of failure a sample records (ResponseError::type), one vocabulary for every backend,
// the runner, loadgen and the reports; their names are what run.json, samples.jsonl and the
// report pages show.
#pragma once

#include <string>

namespace moebench {

enum class ErrorType {
  timeout,      // no complete response within the time limits
  http,         // an HTTP error status (other than 429), or an error body in a 200
  rate_limit,   // HTTP 429 / the provider's rate-limit error
  connection,   // cannot connect, or the connection broke mid-response
  protocol,     // a response that breaks its wire format
  oversized,    // a response over transport.max_response_mb
  refused,      // the built-in model refused the request (e.g. longer than its context)
  interrupted,  // not answered: the run was stopped (SIGINT)
  backend,      // the backend returned nothing for the request
  not_found,    // no recorded (replay) or reference (oracle) answer for the document
  scoring,      // a filter or metric failed on the response
  no_output,    // loadgen: a stream that ended without any text
  // The provider withheld the answer (finish_reason content_filter, Anthropic's stop_reason
  // refusal): billed, and never cached, so the next run asks again.
  content_filter,
  // The built-in model's forward pass gave NaN or infinite logits (a broken checkpoint, or
  // activations that overflow): no answer or score is made from them.
  non_finite,
};

// The name of a type, e.g. "rate_limit".
const char* error_type_name(ErrorType type);
// The type of a name; InputError "<where>: unknown error type 'x' (known: ...)" otherwise.
ErrorType error_type_parse(const std::string& name, const std::string& where);

}  // namespace moebench
