// The OpenAI-compatible routes of `moebench serve`: request parsing, responses, SSE streaming.
#include "backends/builtin/server.h"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "backends/builtin/serve_scheduler.h"
#include "common/error.h"
#include "common/http_server.h"

namespace moebench {
namespace {

using json = nlohmann::json;

// HTTP threads: one per connection in flight (loadgen's cap is 1024 workers).
constexpr size_t kServeHttpThreads = 1024;

// A random or undertrained model can emit bytes that are not UTF-8 (byte-fallback tokens); they
// go out as U+FFFD, as HF tokenizers' decode does, instead of aborting the dump.
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// A client error: HTTP 400 with OpenAI's error body naming the parameter.
struct BadRequest {
  std::string message;
  std::string param;
};

json error_body(const std::string& message, const std::string& type, const std::string& param) {
  return {{"error",
           {{"message", message},
            {"type", type},
            {"param", param.empty() ? json(nullptr) : json(param)},
            {"code", nullptr}}}};
}

template <typename T>
T get_or(const json& body, const char* key, T fallback) {
  if (!body.contains(key) || body[key].is_null()) return fallback;
  try {
    return body[key].get<T>();
  } catch (const json::exception&) {
    throw BadRequest{std::string("'") + key + "' has the wrong type", key};
  }
}

// What both endpoints share: sampling, limits, stops, n, stream.
struct Parsed {
  GenerateRequest gen;
  int n = 1;
  bool stream = false;
  bool include_usage = false;
};

Parsed parse_common(const json& body, int default_max_tokens) {
  Parsed p;
  p.gen.sampling.temperature = get_or<double>(body, "temperature", 1.0);
  p.gen.sampling.top_p = get_or<double>(body, "top_p", 1.0);
  p.gen.sampling.top_k = get_or<int>(body, "top_k", 0);
  p.gen.sampling.seed = get_or<uint64_t>(body, "seed", 0);
  if (p.gen.sampling.temperature < 0 || p.gen.sampling.temperature > 2)
    throw BadRequest{"'temperature' must be in [0, 2]", "temperature"};
  if (p.gen.sampling.top_p <= 0 || p.gen.sampling.top_p > 1)
    throw BadRequest{"'top_p' must be in (0, 1]", "top_p"};
  int max_tokens = get_or<int>(body, "max_completion_tokens",
                               get_or<int>(body, "max_tokens", default_max_tokens));
  if (max_tokens < 1) throw BadRequest{"'max_tokens' must be at least 1", "max_tokens"};
  p.gen.max_tokens = max_tokens;
  if (body.contains("stop") && !body["stop"].is_null()) {
    const json& s = body["stop"];
    if (s.is_string()) {
      p.gen.stop.push_back(s.get<std::string>());
    } else if (s.is_array() && s.size() <= 4) {
      for (const json& x : s) {
        if (!x.is_string()) throw BadRequest{"'stop' must hold strings", "stop"};
        p.gen.stop.push_back(x.get<std::string>());
      }
    } else {
      throw BadRequest{"'stop' must be a string or up to 4 strings", "stop"};
    }
  }
  p.n = get_or<int>(body, "n", 1);
  if (p.n < 1 || p.n > 16) throw BadRequest{"'n' must be in [1, 16]", "n"};
  p.stream = get_or<bool>(body, "stream", false);
  if (body.contains("stream_options") && body["stream_options"].is_object()) {
    p.include_usage = get_or<bool>(body["stream_options"], "include_usage", false);
  }
  return p;
}

std::vector<ChatMessage> parse_messages(const json& body) {
  if (!body.contains("messages") || !body["messages"].is_array() || body["messages"].empty())
    throw BadRequest{"'messages' must be a non-empty array", "messages"};
  std::vector<ChatMessage> out;
  for (const json& m : body["messages"]) {
    ChatMessage msg;
    msg.role = get_or<std::string>(m, "role", "");
    if (msg.role != "system" && msg.role != "user" && msg.role != "assistant" &&
        msg.role != "developer")
      throw BadRequest{"message role '" + msg.role + "' is not supported", "messages"};
    if (msg.role == "developer") msg.role = "system";
    const json& c = m.value("content", json(nullptr));
    if (c.is_string()) {
      msg.content = c.get<std::string>();
    } else if (c.is_array()) {  // [{type: text, text}] parts
      for (const json& part : c) {
        if (part.value("type", "") != "text")
          throw BadRequest{"only text content parts are supported", "messages"};
        msg.content += part.value("text", "");
      }
    } else {
      throw BadRequest{"message content must be a string or text parts", "messages"};
    }
    out.push_back(std::move(msg));
  }
  return out;
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
      : model_(model), scheduler_(model, options.max_batch) {
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
  }

 private:
  void handle(const httplib::Request& req, httplib::Response& res, bool chat) {
    try {
      json body = json::parse(req.body, nullptr, false);
      if (body.is_discarded() || !body.is_object())
        throw BadRequest{"the request body is not a JSON object", ""};
      std::string model = get_or<std::string>(body, "model", name_);
      if (model != name_) {
        res.status = 404;
        res.set_content(dump(error_body("model '" + model +
                                            "' does not exist; this server serves '" + name_ + "'",
                                        "invalid_request_error", "model")),
                        "application/json");
        return;
      }
      Parsed p = parse_common(body, chat ? 1 << 30 : 16);
      std::vector<int> prompt = chat ? chat_prompt(body) : completion_prompt(body);
      const int room = model_.max_context() - static_cast<int>(prompt.size());
      if (room <= 0)
        throw BadRequest{"the prompt has " + std::to_string(prompt.size()) +
                             " tokens; the context is " + std::to_string(model_.max_context()),
                         chat ? "messages" : "prompt"};
      p.gen.prompt = std::move(prompt);
      p.gen.max_tokens = std::min(p.gen.max_tokens, room);
      std::vector<std::shared_ptr<ServeJob>> jobs;
      for (int i = 0; i < p.n; ++i) {
        GenerateRequest g = p.gen;
        g.sampling.seed += static_cast<uint64_t>(i);
        jobs.push_back(scheduler_.submit(std::move(g)));
      }
      if (p.stream) {
        stream(res, std::move(jobs), p, chat);
      } else {
        respond(res, jobs, p, chat);
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

  std::vector<int> chat_prompt(const json& body) {
    if (!model_.chat_format())
      throw BadRequest{"this checkpoint has no chat template; use /v1/completions", "messages"};
    return model_.encode_chat(parse_messages(body));
  }

  std::vector<int> completion_prompt(const json& body) {
    if (!body.contains("prompt")) throw BadRequest{"'prompt' is required", "prompt"};
    const json& pr = body["prompt"];
    if (pr.is_string()) return model_.encode_text(pr.get<std::string>(), false);
    if (pr.is_array() && pr.size() == 1 && pr[0].is_string())
      return model_.encode_text(pr[0].get<std::string>(), false);
    if (pr.is_array() && !pr.empty() && pr[0].is_number_integer()) {
      std::vector<int> ids;
      for (const json& x : pr) {
        int id = x.is_number_integer() ? x.get<int>() : -1;
        if (id < 0 || id >= model_.config().vocab_size)
          throw BadRequest{"'prompt' holds a token id outside the vocabulary", "prompt"};
        ids.push_back(id);
      }
      return ids;
    }
    throw BadRequest{"'prompt' must be a string or an array of token ids (one prompt)", "prompt"};
  }

  json usage(long prompt, long completion) const {
    return {{"prompt_tokens", prompt},
            {"completion_tokens", completion},
            {"total_tokens", prompt + completion}};
  }

  void respond(httplib::Response& res, const std::vector<std::shared_ptr<ServeJob>>& jobs,
               const Parsed& p, bool chat) {
    json choices = json::array();
    long completion = 0;
    for (size_t i = 0; i < jobs.size(); ++i) {
      std::string error;
      GenerateResult r = jobs[i]->wait(&error);
      if (!error.empty()) {
        res.status = 500;
        res.set_content(dump(error_body(error, "server_error", "")), "application/json");
        return;
      }
      completion += static_cast<long>(r.tokens.size());
      json c = {{"index", i}, {"finish_reason", r.finish_reason}};
      if (chat) {
        c["message"] = {{"role", "assistant"}, {"content", r.text}};
      } else {
        c["text"] = r.text;
        c["logprobs"] = nullptr;
      }
      choices.push_back(c);
    }
    json out = {{"id", new_id(chat ? "chatcmpl-" : "cmpl-")},
                {"object", chat ? "chat.completion" : "text_completion"},
                {"created", unix_now()},
                {"model", name_},
                {"choices", choices},
                {"usage", usage(static_cast<long>(p.gen.prompt.size()) * p.n, completion)}};
    res.set_content(dump(out), "application/json");
  }

  void stream(httplib::Response& res, std::vector<std::shared_ptr<ServeJob>> jobs, Parsed p,
              bool chat) {
    const std::string id = new_id(chat ? "chatcmpl-" : "cmpl-");
    const long created = unix_now();
    auto chunk = [=, this](size_t index, const json& delta_or_text,
                           const json& finish) -> std::string {
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
                {"model", name_},
                {"choices", json::array({c})}};
      return "data: " + dump(j) + "\n\n";
    };
    res.set_chunked_content_provider(
        "text/event-stream", [=, this](size_t, httplib::DataSink& sink) {
          long completion = 0;
          // NOTE: choices stream one after another (index says which); clients merge by index.
          for (size_t i = 0; i < jobs.size(); ++i) {
            if (chat) {
              std::string s = chunk(i, json{{"role", "assistant"}, {"content", ""}}, nullptr);
              if (!sink.write(s.data(), s.size())) return false;
            }
            std::string piece;
            while (jobs[i]->next(&piece)) {
              std::string s =
                  chat ? chunk(i, json{{"content", piece}}, nullptr) : chunk(i, piece, nullptr);
              if (!sink.write(s.data(), s.size())) return false;
            }
            std::string error;
            GenerateResult r = jobs[i]->wait(&error);
            if (!error.empty()) {
              std::string s = "data: " + dump(error_body(error, "server_error", "")) + "\n\n";
              sink.write(s.data(), s.size());
              sink.done();
              return true;
            }
            completion += static_cast<long>(r.tokens.size());
            std::string s =
                chat ? chunk(i, json::object(), r.finish_reason) : chunk(i, "", r.finish_reason);
            if (!sink.write(s.data(), s.size())) return false;
          }
          if (p.include_usage) {
            json j = {{"id", id},
                      {"object", chat ? "chat.completion.chunk" : "text_completion"},
                      {"created", created},
                      {"model", name_},
                      {"choices", json::array()},
                      {"usage", usage(static_cast<long>(p.gen.prompt.size()) * p.n, completion)}};
            std::string s = "data: " + dump(j) + "\n\n";
            if (!sink.write(s.data(), s.size())) return false;
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
