"""Media made from a task: quiz cards (PNG/JPEG) and short vertical videos (MP4).

The public interface is :func:`quiz_media.services.render` with the data classes in
:mod:`quiz_media.specs`. The app depends only on ``tasks`` and Django.
"""
