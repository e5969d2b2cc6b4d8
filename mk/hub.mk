# The live-chat hub (livechat/): `make run` starts it from Procfile.dev
# (python -m livechat on 127.0.0.1:8080); its tests run in `make test`.
#
#   make bench-hub   relay at 100 and 1,000 conversations beside a bare
#                    python-socketio relay, and a bot turn through the hub vs
#                    Rasa's REST channel directly; results in bench/results/
#                    (hub_relay.{json,md}, hub_bot_turn.{json,md})

.PHONY: bench-hub

bench-hub: venv venv-rasa train
	@echo "==> hub: relay benchmark (bench/hub_relay.py: 100 and 1000 conversations, hub and bare)"
	@$(PY) bench/hub_relay.py --conversations 100 1000
	@echo "==> hub: bot turn benchmark (bench/hub_bot_turn.py)"
	@$(PY) bench/hub_bot_turn.py
