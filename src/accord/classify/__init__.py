"""Sentence classification: the model families (``model``), ONNX serving (``onnx``), the batch scorer
(``predictor``), training and evaluation that mirror each other (``train``, ``evaluate``), metrics, plots and the
benchmark."""
