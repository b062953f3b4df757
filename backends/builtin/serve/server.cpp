// The OpenAI-compatible routes of `moebench serve`: responses, SSE streaming and the server's
// socket (requests are read in server_request.cpp, logprobs built in server_logprobs.cpp).
#include "backends/builtin/serve/server.h"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "backends/builtin/serve/reasoning_stream.h"
#include "backends/builtin/serve/serve_scheduler.h"
#include "backends/builtin/serve/server_logprobs.h"
#include "backends/builtin/serve/server_request.h"
#include "common/error.h"
#include "common/http_server.h"

namespace moebench {
namespace {

using json = nlohmann::json;

// HTTP threads: one per connection in flight (loadgen's cap is 1024 workers).
constexpr size_t kServeHttpThreads = 1024;
// Choices of one request (prompts x n): a bound on the work one request may queue.
constexpr size_t kMaxChoices = 256;
// How often a plain (not streamed) request looks whether its client is still connected.
constexpr std::chrono::milliseconds kClientCheck{100};

// A random or undertrained model can emit bytes that are not UTF-8 (byte-fallback tokens); they
// go out as U+FFFD, as HF tokenizers' decode does, instead of aborting the dump.
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json error_body(const std::string& message, const std::string& type, const std::string& param) {
  return {{"error",
           {{"message", message},
            {"type", type},
            {"param", param.empty() ? json(nullptr) : json(param)},
            {"code", nullptr}}}};
}

std::string new_id(const char* prefix) {
  static std::atomic<uint64_t> counter{0};
  auto now = std::chrono::system_clock::now().time_since_epoch().count();
  return std::string(prefix) + std::to_string(now) + "-" + std::to_string(counter++);
}

long unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class Routes {
 public:
  Routes(BuiltinModel& model, const ServeOptions& options)
      : model_(model), scheduler_(model, options.max_batch, options.on_generation_end) {
    name_ = options.model_name.empty() ? model.name() : options.model_name;
  }

  void install(httplib::Server& svr) {
    svr.Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
      json m = {
          {"id", name_}, {"object", "model"}, {"created", unix_now()}, {"owned_by", "moebench"}};
      res.set_content(dump(json{{"object", "list"}, {"data", json::array({m})}}),
                      "application/json");
    });
    svr.Get("/health", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("{\"status\":\"ok\"}", "application/json");
    });
    svr.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
      handle(req, res, true);
    });
    svr.Post("/v1/completions", [this](const httplib::Request& req, httplib::Response& res) {
      handle(req, res, false);
    });
    // OpenAI clients read an error object from every 4xx/5xx: an unknown route (404) gets
    // OpenAI's "Invalid URL" one, an escaped exception a server_error one.
    const httplib::Server::HandlerWithResponse on_error = [](const httplib::Request& req,
                                                             httplib::Response& res) {
      if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
      const std::string message =
          res.status == 404
              ? "Invalid URL (" + req.method + " " + req.path + ")"
              : "HTTP " + std::to_string(res.status) + " for " + req.method + " " + req.path;
      res.set_content(dump(error_body(message, "invalid_request_error", "")), "application/json");
      return httplib::Server::HandlerResponse::Handled;
    };
    svr.set_error_handler(on_error);
    svr.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
          std::string what = "internal error";
          try {
            std::rethrow_exception(ep);
          } catch (const std::exception& e) {
            what = e.what();
          } catch (...) {
          }
          res.status = 500;
          res.set_content(dump(error_body(what, "server_error", "")), "application/json");
        });
  }

 private:
  using Jobs = std::vector<std::shared_ptr<ServeJob>>;

  // The request, or BadRequest; a JSON value of an unexpected shape is the client's error too.
  ServeRequest parse(const json& body, bool chat) {
    try {
      ServeRequest r = serve_parse_request(body, chat);
      if (chat) {
        if (!model_.chat_format())
          throw BadRequest{"this checkpoint has no chat template; use /v1/completions", "messages"};
        r.prompts = {model_.encode_chat(serve_parse_messages(body))};
        r.starts_in_thinking = r.gen.starts_in_thinking = model_.chat_opens_thinking(r.prompts[0]);
      } else {
        r.prompts = serve_parse_prompts(body, model_);
      }
      return r;
    } catch (const json::exception& e) {
      throw BadRequest{std::string("malformed request: ") + e.what(), ""};
    }
  }

  void handle(const httplib::Request& req, httplib::Response& res, bool chat) {
    try {
      json body = json::parse(req.body, nullptr, false);
      if (body.is_discarded() || !body.is_object())
        throw BadRequest{"the request body is not a JSON object", ""};
      if (body.contains("model") && !body["model"].is_string())
        throw BadRequest{"'model' must be a string", "model"};
      std::string model = serve_param<std::string>(body, "model", name_);
      if (model != name_) {
        res.status = 404;
        res.set_content(dump(error_body("model '" + model +
                                            "' does not exist; this server serves '" + name_ + "'",
                                        "invalid_request_error", "model")),
                        "application/json");
        return;
      }
      ServeRequest r = parse(body, chat);
      if (r.choices() > kMaxChoices)
        throw BadRequest{"prompts x n is " + std::to_string(r.choices()) + "; at most " +
                             std::to_string(kMaxChoices) + " choices per request",
                         chat ? "n" : "prompt"};
      Jobs jobs = submit(r, chat);
      if (r.stream) {
        stream(res, std::move(jobs), r, chat);
      } else {
        respond(req, res, jobs, r, chat);
      }
    } catch (const BadRequest& e) {
      res.status = 400;
      res.set_content(dump(error_body(e.message, "invalid_request_error", e.param)),
                      "application/json");
    } catch (const InputError& e) {
      res.status = 400;
      res.set_content(dump(error_body(e.what(), "invalid_request_error", "")), "application/json");
    }
  }

  // One generation per choice (prompt i's choices at i*n .. i*n+n-1), none with max_tokens 0.
  Jobs submit(const ServeRequest& r, bool chat) {
    const long context = model_.max_context();
    for (const std::vector<int>& prompt : r.prompts) {
      const long tokens = static_cast<long>(prompt.size());
      if (tokens >= context)
        throw BadRequest{"the prompt has " + std::to_string(tokens) + " tokens; the context is " +
                             std::to_string(context),
                         chat ? "messages" : "prompt"};
      // OpenAI's and vLLM's answer to a limit the context cannot hold (no silent clamp).
      if (r.max_tokens_given && tokens + r.gen.max_tokens > context)
        throw BadRequest{"this model's maximum context length is " + std::to_string(context) +
                             " tokens; you requested " + std::to_string(tokens + r.gen.max_tokens) +
                             " (" + std::to_string(tokens) + " in the prompt, " +
                             std::to_string(r.gen.max_tokens) + " in the completion)",
                         r.limit_key};
    }
    Jobs jobs(r.choices());
    if (r.gen.max_tokens == 0) return jobs;
    for (size_t k = 0; k < jobs.size(); ++k) {
      GenerateRequest g = r.gen;
      g.prompt = r.prompts[k / r.n];
      g.max_tokens =
          std::min(g.max_tokens, model_.max_context() - static_cast<int>(g.prompt.size()));
      g.sampling.seed += k % r.n;
      jobs[k] = scheduler_.submit(std::move(g));
    }
    return jobs;
  }

  // `reasoning` < 0: no choice thought (no completion_tokens_details). A prompt counts once
  // however many choices it has, as OpenAI and vLLM bill it.
  json usage(const ServeRequest& r, long completion, long reasoning) const {
    long prompt = 0;
    for (const std::vector<int>& p : r.prompts) prompt += static_cast<long>(p.size());
    json u = {{"prompt_tokens", prompt},
              {"completion_tokens", completion},
              {"total_tokens", prompt + completion}};
    if (reasoning >= 0) u["completion_tokens_details"] = {{"reasoning_tokens", reasoning}};
    return u;
  }

  // How a request's jobs ended: all of them (none failed), or, cancelling the others at once, one
  // with an error or the client that closed its connection.
  enum class JobsEnd { all, failed, client_gone };

  // Waits until every job ended, or one failed (its error in `error`), or the client closed its
  // connection; either of the last two cancels them all, as a stream's failed choice or write
  // does: nobody will read them. Waiting for the first job not ended, it looks every
  // kClientCheck at the others' failures and at the socket (found at the first look).
  JobsEnd await_jobs(const httplib::Request& req, const Jobs& jobs, std::string* error) {
    int fd = -2;      // not looked up yet
    size_t next = 0;  // jobs[0, next) ended
    auto cancel_all = [&] {
      for (const auto& job : jobs) {
        if (job) job->cancel();
      }
    };
    for (;;) {
      while (next < jobs.size() && (!jobs[next] || jobs[next]->ended())) ++next;
      for (const auto& job : jobs) {
        if (!job || !job->failed(error)) continue;
        cancel_all();
        return JobsEnd::failed;
      }
      if (next == jobs.size()) return JobsEnd::all;
      if (jobs[next]->wait_for(kClientCheck)) continue;
      if (fd == -2) fd = http_request_socket(req);
      if (fd < 0 || !http_peer_gone(fd)) continue;
      cancel_all();
      std::string ignored;
      for (const auto& job : jobs) {  // their slots are free once the handler returns
        if (job) job->wait(&ignored);
      }
      return JobsEnd::client_gone;
    }
  }

  // The choices' results (empty with max_tokens 0), every job ended and none failed.
  static std::vector<GenerateResult> results_of(const Jobs& jobs) {
    std::vector<GenerateResult> out;
    for (const auto& job : jobs) {
      std::string error;
      GenerateResult g;
      g.finish_reason = "length";  // max_tokens 0: the limit was reached at once
      if (job) g = job->wait(&error);
      out.push_back(std::move(g));
    }
    return out;
  }

  // Each choice's logprobs object (null when none were asked for); false after a 500.
  bool logprobs_of(httplib::Response& res, const ServeRequest& r,
                   const std::vector<ChoiceTokens>& tokens, bool chat, std::vector<json>* out) {
    out->assign(r.choices(), nullptr);
    if (!r.logprobs) return true;
    std::vector<std::shared_ptr<ScoreJob>> scores;
    for (const ChoiceTokens& t : tokens)
      scores.push_back(scheduler_.submit_score(t.ids, *r.logprobs));
    for (size_t k = 0; k < scores.size(); ++k) {
      std::string error;
      const TokenLogprobs lp = scores[k]->wait(&error);
      if (!error.empty()) {
        res.status = 500;
        res.set_content(dump(error_body(error, "server_error", "")), "application/json");
        return false;
      }
      const Tokenizer& tok = model_.tokenizer();
      (*out)[k] = chat ? serve_chat_logprobs(tok, tokens[k], lp)
                       : serve_completion_logprobs(tok, tokens[k], lp, r.echo);
    }
    return true;
  }

  void respond(const httplib::Request& req, httplib::Response& res, const Jobs& jobs,
               const ServeRequest& r, bool chat) {
    std::string error;
    const JobsEnd end = await_jobs(req, jobs, &error);
    if (end == JobsEnd::client_gone) {
      res.status = 499;  // nginx's "client closed request": nobody reads it
      res.set_content(dump(error_body("the client closed the connection; the request was cancelled",
                                      "invalid_request_error", "")),
                      "application/json");
      return;
    }
    if (end == JobsEnd::failed) {
      res.status = 500;
      res.set_content(dump(error_body(error, "server_error", "")), "application/json");
      return;
    }
    const std::vector<GenerateResult> results = results_of(jobs);
    std::vector<ChoiceTokens> tokens;
    if (r.echo || r.logprobs) {
      for (size_t k = 0; k < results.size(); ++k)
        tokens.push_back(serve_choice_tokens(model_.tokenizer(), r.prompts[k / r.n], results[k]));
    }
    std::vector<json> logprobs;
    if (!logprobs_of(res, r, tokens, chat, &logprobs)) return;
    json choices = json::array();
    long completion = 0, reasoning = -1;
    for (size_t k = 0; k < results.size(); ++k) {
      completion += static_cast<long>(results[k].tokens.size());
      json c = {{"index", k}, {"finish_reason", results[k].finish_reason}};
      if (chat) {
        bool thought = false;
        const ReasoningStream::Delta all =
            reasoning_split(results[k].text, r.starts_in_thinking, &thought);
        c["message"] = {{"role", "assistant"}, {"content", all.content}};
        if (thought) {
          c["message"]["reasoning_content"] = all.reasoning;
          reasoning = std::max(reasoning, 0L) + results[k].thinking_tokens;
        }
      } else {
        c["text"] = (r.echo ? tokens[k].prompt_text() : "") + results[k].text;
      }
      c["logprobs"] = logprobs[k];
      choices.push_back(c);
    }
    json out = {{"id", new_id(chat ? "chatcmpl-" : "cmpl-")},
                {"object", chat ? "chat.completion" : "text_completion"},
                {"created", unix_now()},
                {"model", name_},
                {"choices", choices},
                {"usage", usage(r, completion, reasoning)}};
    res.set_content(dump(out), "application/json");
  }

  // One SSE event of a stream: a choice's delta (chat) or text, and its finish reason or null.
  struct StreamChunk {
    std::string id, model;
    long created = 0;
    bool chat = false;
    std::string operator()(size_t index, const json& delta_or_text, const json& finish) const {
      json c = {{"index", index}, {"finish_reason", finish}};
      if (chat) {
        c["delta"] = delta_or_text;
      } else {
        c["text"] = delta_or_text;
        c["logprobs"] = nullptr;
      }
      json j = {{"id", id},
                {"object", chat ? "chat.completion.chunk" : "text_completion"},
                {"created", created},
                {"model", model},
                {"choices", json::array({c})}};
      return "data: " + dump(j) + "\n\n";
    }
  };

  void stream(httplib::Response& res, Jobs jobs, ServeRequest r, bool chat) {
    const std::string id = new_id(chat ? "chatcmpl-" : "cmpl-");
    const long created = unix_now();
    const StreamChunk chunk{id, name_, created, chat};
    res.set_chunked_content_provider(
        "text/event-stream", [=, this](size_t, httplib::DataSink& sink) {
          long completion = 0, reasoning = -1;
          // The reasoning and content a chat piece adds, as one delta ("" when a tag is pending).
          auto delta = [&](size_t i, const ReasoningStream::Delta& d) -> std::string {
            json j = json::object();
            if (!d.reasoning.empty()) j["reasoning_content"] = d.reasoning;
            if (!d.content.empty()) j["content"] = d.content;
            return j.empty() ? "" : chunk(i, j, nullptr);
          };
          // A client that went away ends its generations at their next step.
          auto send = [&](const std::string& s) {
            if (sink.write(s.data(), s.size())) return true;
            for (const auto& job : jobs) job->cancel();
            return false;
          };
          // NOTE: choices stream one after another (index says which); clients merge by index.
          for (size_t i = 0; i < jobs.size(); ++i) {
            ReasoningStream split(r.starts_in_thinking);
            // A chat choice's role chunk goes with its first text, as vLLM's does: a client that
            // times the first chunk (vLLM's benchmark) then measures the first token.
            bool opened = !chat;
            auto emit = [&](const std::string& s) {
              if (s.empty()) return true;
              if (!opened) {
                opened = true;
                if (!send(chunk(i, json{{"role", "assistant"}, {"content", ""}}, nullptr))) {
                  return false;
                }
              }
              return send(s);
            };
            std::string piece;
            while (jobs[i]->next(&piece)) {
              if (!emit(chat ? delta(i, split.feed(piece)) : chunk(i, piece, nullptr))) {
                return false;
              }
            }
            if (chat && !emit(delta(i, split.finish()))) return false;
            std::string error;
            GenerateResult result = jobs[i]->wait(&error);
            if (!error.empty()) {
              // The stream ends here: its other choices would go on generating for nobody.
              for (const auto& job : jobs) job->cancel();
              std::string s = "data: " + dump(error_body(error, "server_error", "")) + "\n\n";
              sink.write(s.data(), s.size());
              sink.done();
              return true;
            }
            completion += static_cast<long>(result.tokens.size());
            if (split.had_thinking()) reasoning = std::max(reasoning, 0L) + result.thinking_tokens;
            if (!emit(chat ? chunk(i, json::object(), result.finish_reason)
                           : chunk(i, "", result.finish_reason))) {
              return false;
            }
          }
          if (r.include_usage) {
            json j = {{"id", id},
                      {"object", chat ? "chat.completion.chunk" : "text_completion"},
                      {"created", created},
                      {"model", name_},
                      {"choices", json::array()},
                      {"usage", usage(r, completion, reasoning)}};
            if (!send("data: " + dump(j) + "\n\n")) return false;
          }
          const std::string done = "data: [DONE]\n\n";
          sink.write(done.data(), done.size());
          sink.done();
          return true;
        });
  }

  BuiltinModel& model_;
  ServeScheduler scheduler_;
  std::string name_;
};

}  // namespace

void serve_model(BuiltinModel& model, const ServeOptions& options,
                 const std::function<void(int)>& on_listening,
                 const std::function<bool()>& should_stop) {
  httplib::Server svr;
  // NOTE: a kept-alive connection holds one HTTP thread until it closes; httplib's default pool
  // of 8 would cap the requests in flight (and so the batch) at 8 and queue every other client.
  svr.new_task_queue = [] { return new httplib::ThreadPool(kServeHttpThreads); };
  // httplib closes a keep-alive connection after 5 requests by default; nginx after 1000.
  svr.set_keep_alive_max_count(1000);
  Routes routes(model, options);
  routes.install(svr);
  const int port = http_server_bind(svr, options.host, options.port, "serve");
  std::atomic<bool> finished{false};
  std::thread watcher([&] {
    while (!finished && !should_stop()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    svr.stop();
  });
  on_listening(port);
  svr.listen_after_bind();
  finished = true;
  watcher.join();
}

}  // namespace moebench
