"""fieldserv's own Rasa 3.6 pipeline components (loaded by .venv-rasa from bot/config.yml).

* ``dense.MiniLMFeaturizer``: dense sentence and token features from
  all-MiniLM-L6-v2 (the knowledge base's encoder), run with onnxruntime;
* ``handoff.HandoffNet``: a keyword and pattern net after the classifiers that
  sends any request for a person, and any sign of frustration, to
  ``request_human`` whatever the model said.

``make train`` puts the repository root on .venv-rasa's path (a ``.pth`` file)
and exports the encoder (``export.py``) before training.
"""
